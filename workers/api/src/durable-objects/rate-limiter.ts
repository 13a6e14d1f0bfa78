import { DurableObject } from "cloudflare:workers";

/** One object per (policy, identity, window). Implemented by the rate-limiting issue. */
export class RateLimiter extends DurableObject<Env> {}
