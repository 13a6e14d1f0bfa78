import type { RateLimiter } from "../../durable-objects/rate-limiter.ts";
import { ApiError } from "../../errors.ts";
import type { Policy } from "./policies.ts";
import type { Decision } from "./window.ts";

/** A decision with the policy it was made under. */
export interface RateLimitResult extends Decision {
  policy: Policy;
  /** True when the limiter could not answer and the policy admits on failure: no headers are sent. */
  degraded?: boolean;
}

/** What routes and middleware use; the Durable Object is one implementation behind it. */
export interface Limiter {
  take(policy: Policy, identity: string, cost?: number): Promise<RateLimitResult>;
  /** An identity this isolate already knows is blocked, without asking anyone. */
  blocked(policy: Policy, identity: string): RateLimitResult | null;
}

/** What the Durable Object answers; the seam tests use to make the limiter fail. */
export type TakeFn = (name: string, policy: Policy, cost: number) => Promise<Decision>;

const TIMEOUT_MS = 2_000;
const MAX_BLOCKED = 10_000;

/** Identities blocked until a time, per isolate: requests from them are refused without a round trip. */
const blockedUntil = new Map<string, { until: number; resetAt: number; decision: Decision }>();

function keyOf(policy: Policy, identity: string): string {
  return `${policy.name}:${policy.limit}/${policy.windowMs}:${identity}`;
}

function remember(key: string, decision: Decision, now: number): void {
  if (blockedUntil.size >= MAX_BLOCKED) {
    for (const [k, v] of blockedUntil) if (v.until <= now) blockedUntil.delete(k);
    // Still full: forget the oldest entries; the object stays the authority, this only saves round trips.
    for (const k of blockedUntil.keys()) {
      if (blockedUntil.size < MAX_BLOCKED) break;
      blockedUntil.delete(k);
    }
  }
  blockedUntil.set(key, { until: now + decision.retryAfterMs, resetAt: now + decision.resetMs, decision });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the rate limiter did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** The `RATE_LIMITER` Durable Object as a `TakeFn`: one object per (policy, rule, identity). */
export function durableTake(namespace: DurableObjectNamespace<RateLimiter>): TakeFn {
  return async (name, policy, cost) => {
    const stub = namespace.get(namespace.idFromName(name));
    return stub.take({ limit: policy.limit, windowMs: policy.windowMs }, cost);
  };
}

/** A limiter that asks `takeFn`, remembers blocked identities until their reset, and fails per policy. */
export function createLimiter(takeFn: TakeFn, now: () => number = Date.now): Limiter {
  return {
    blocked(policy, identity) {
      const key = keyOf(policy, identity);
      const entry = blockedUntil.get(key);
      if (!entry) return null;
      const at = now();
      if (entry.until <= at) {
        blockedUntil.delete(key);
        return null;
      }
      const retryAfterMs = entry.until - at;
      return { ...entry.decision, policy, retryAfterMs, resetMs: Math.max(retryAfterMs, entry.resetAt - at) };
    },
    async take(policy, identity, cost = 1) {
      const known = this.blocked(policy, identity);
      if (known) return known;
      const key = keyOf(policy, identity);
      try {
        const decision = await withTimeout(takeFn(key, policy, cost), TIMEOUT_MS);
        if (!decision.allowed) remember(key, decision, now());
        return { ...decision, policy };
      } catch (error) {
        return failed(policy, error);
      }
    },
  };
}

function failed(policy: Policy, error: unknown): RateLimitResult {
  console.error(
    JSON.stringify({
      level: "error",
      msg: `rate limiter failed; failing ${policy.onFailure}`,
      policy: policy.name,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  if (policy.onFailure === "closed") {
    throw new ApiError("unavailable", "Rate limiting is unavailable for a moment; try again shortly.");
  }
  return {
    allowed: true,
    limit: policy.limit,
    remaining: policy.limit,
    resetMs: 0,
    retryAfterMs: 0,
    policy,
    degraded: true,
  };
}

/** The limiter for a Worker's environment. */
export function limiterOf(env: Env): Limiter {
  return createLimiter(durableTake(env.RATE_LIMITER));
}

/** Forgets every identity this isolate remembers as blocked (tests). */
export function clearBlocked(): void {
  blockedUntil.clear();
}
