import { DurableObject } from "cloudflare:workers";

/** One object per deployment: numbered log batches, live WebSocket clients. Implemented by the builds issue. */
export class BuildLog extends DurableObject<Env> {}
