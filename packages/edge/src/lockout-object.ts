import { DurableObject } from "cloudflare:workers";
import { attempt, type LockoutDecision, type LockoutRule, type LockoutState } from "./lockout.ts";

const STATE_KEY = "state";

/**
 * One object per locked-out key (an account's login, a preview host, a client address): it counts attempts
 * with growing delays (lockout.ts), forgets them on success, and deletes itself with an alarm once the key
 * has been quiet for the rule's `forgetMs`. Each Worker exports this class and binds it as `LOCKOUT`.
 */
export class Lockout extends DurableObject {
  #state: LockoutState | null | undefined;

  /** Counts one attempt now, unless the key is locked. */
  attempt(rule: LockoutRule): LockoutDecision {
    const now = Date.now();
    const result = attempt(this.#load(), rule, now);
    if (result.decision.allowed) {
      this.#state = result.state;
      this.ctx.storage.kv.put(STATE_KEY, result.state);
      void this.ctx.storage.setAlarm(now + rule.forgetMs);
    }
    return result.decision;
  }

  /** Forgets every attempt: the right password was given. */
  async succeed(): Promise<void> {
    this.#state = null;
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    this.#state = null;
    await this.ctx.storage.deleteAll();
  }

  #load(): LockoutState | null {
    if (this.#state === undefined) this.#state = this.ctx.storage.kv.get<LockoutState>(STATE_KEY) ?? null;
    return this.#state;
  }
}

/** What callers use; the Durable Object is one implementation behind it. */
export interface Lockouts {
  attempt(key: string, rule: LockoutRule): Promise<LockoutDecision>;
  succeed(key: string): Promise<void>;
}

/** The `LOCKOUT` namespace as `Lockouts`: one object per key. */
export function durableLockouts(namespace: DurableObjectNamespace<Lockout>): Lockouts {
  const stub = (key: string) => namespace.get(namespace.idFromName(key));
  return {
    attempt: (key, rule) => stub(key).attempt(rule),
    succeed: (key) => stub(key).succeed(),
  };
}
