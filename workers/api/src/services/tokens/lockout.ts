import type { LockoutRule } from "@miaobu/edge";
import { durableLockouts, type Lockouts } from "@miaobu/edge/lockout-object";
import { ApiError } from "../../errors.ts";
import { sha256Hex } from "../../lib/crypto.ts";

/** The per-account sign-in limit: where the attempts are counted and the rule they are counted under. */
export interface AccountLockout {
  lockouts: Lockouts;
  rule: LockoutRule | null;
}

/** The `LOCKOUT` Durable Object namespace with the configured rule. */
export function accountLockoutOf(env: Env, rule: LockoutRule | null): AccountLockout {
  return { lockouts: durableLockouts(env.LOCKOUT), rule };
}

function unavailable(error: unknown): ApiError {
  console.error(
    JSON.stringify({ level: "error", msg: "login lockout failed; refusing sign-ins", error: String(error) }),
  );
  return new ApiError("unavailable", "Signing in is unavailable for a moment; try again shortly.", {}, 2);
}

/**
 * Runs `check` (a password check) behind the account's lockout: every attempt counts, the right password
 * forgets them, and a locked account answers 429 with `Retry-After` without checking the password at all.
 * Keyed by the email as typed (trimmed, lower case), so an unknown email is treated exactly like a known one.
 */
export async function withAccountLockout<T>(
  { lockouts, rule }: AccountLockout,
  email: string,
  check: () => Promise<T>,
): Promise<T> {
  if (!rule) return check();
  const key = `login:${await sha256Hex(email.trim().toLowerCase())}`;
  const decision = await lockouts.attempt(key, rule).catch((error: unknown) => {
    throw unavailable(error);
  });
  if (!decision.allowed) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new ApiError(
      "rate_limited",
      `Too many failed sign-ins for this account. Try again in ${seconds} s.`,
      {},
      seconds,
    );
  }
  const result = await check();
  await lockouts.succeed(key).catch((error: unknown) => {
    console.error(
      JSON.stringify({ level: "error", msg: "login lockout reset failed", error: String(error) }),
    );
  });
  return result;
}
