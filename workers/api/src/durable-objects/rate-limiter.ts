import { DurableObject } from "cloudflare:workers";
import {
  type Buckets,
  type Decision,
  expiresAt,
  prune,
  type Rule,
  take,
} from "../services/ratelimit/window.ts";

const STATE_KEY = "buckets";

/**
 * One object per (policy, identity, rule): the name is `policy:limit/windowMs:identity`
 * (services/ratelimit/limiter.ts), so changing a policy's rule starts fresh objects rather than reading
 * buckets cut for another window. A Durable Object runs one call at a time and `take` does not await, so
 * concurrent requests for one identity are decided strictly one after another. The buckets are kept in
 * memory and in the object's SQLite storage, and an alarm deletes everything once the last admitted request
 * has left its window.
 */
export class RateLimiter extends DurableObject<Env> {
  #buckets: Buckets | undefined;
  #windowMs = 0;
  #alarmAt = 0;

  /** Decides one request of `cost` now; admitted cost is recorded. */
  take(rule: Rule, cost = 1): Decision {
    this.#windowMs = rule.windowMs;
    const { state, decision } = take(this.#load(), rule, Date.now(), cost);
    this.#buckets = state;
    if (decision.allowed) {
      // The answer does not wait for the write to be confirmed: the object is the only writer and keeps the
      // state in memory, so a lost write can only matter if the machine fails in that instant.
      void this.ctx.storage.put(
        STATE_KEY,
        { windowMs: rule.windowMs, buckets: state },
        { allowUnconfirmed: true },
      );
      const expiry = expiresAt(state, rule.windowMs);
      // One alarm is enough: when it fires it moves itself to the current expiry.
      if (this.#alarmAt === 0) {
        this.#alarmAt = expiry;
        void this.ctx.storage.setAlarm(expiry);
      }
    }
    return decision;
  }

  /** For `/readyz`: answers once the object is reachable. */
  ping(): "pong" {
    return "pong";
  }

  override async alarm(): Promise<void> {
    const buckets = prune(this.#load(), this.#windowMs, Date.now());
    if (buckets.length === 0) {
      this.#buckets = [];
      this.#alarmAt = 0;
      await this.ctx.storage.deleteAll();
      return;
    }
    this.#alarmAt = expiresAt(buckets, this.#windowMs);
    await this.ctx.storage.setAlarm(this.#alarmAt);
  }

  #load(): Buckets {
    if (this.#buckets) return this.#buckets;
    const stored = this.ctx.storage.kv.get<{ windowMs: number; buckets: Buckets }>(STATE_KEY);
    if (stored) {
      this.#windowMs = this.#windowMs || stored.windowMs;
      this.#buckets = stored.buckets;
    } else {
      this.#buckets = [];
    }
    return this.#buckets;
  }
}
