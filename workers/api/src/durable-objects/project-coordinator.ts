import { DurableObject } from "cloudflare:workers";

/** One object per project: serializes builds and promotions. Implemented by the builds issue. */
export class ProjectCoordinator extends DurableObject<Env> {}
