import { clientAddress, type LockoutRule } from "@miaobu/edge";
import { durableLockouts, type Lockouts } from "@miaobu/edge/lockout-object";

/** How guesses at a preview's password are limited: per client address and per host. */
export interface PreviewLimits {
  lockouts: Lockouts;
  address: LockoutRule | null;
  host: LockoutRule | null;
  trustCfConnectingIp: boolean;
}

/** The `LOCKOUT` namespace with the configured rules. */
export function previewLimitsOf(
  env: Env,
  rules: Pick<PreviewLimits, "address" | "host" | "trustCfConnectingIp">,
): PreviewLimits {
  return { lockouts: durableLockouts(env.LOCKOUT), ...rules };
}

/** What one guess may do: go ahead (and call `succeed` if right), or wait `retryAfterSeconds`. */
export type Guess =
  | { allowed: true; succeed(): Promise<void> }
  | { allowed: false; retryAfterSeconds: number };

/**
 * Counts one guess against the client's address and the host; refused while either is locked. Counted when
 * made, so parallel guesses cannot slip past; the right password forgets both. Throws when the lockout
 * cannot answer (the caller refuses the guess).
 */
export async function admitGuess(limits: PreviewLimits, request: Request, host: string): Promise<Guess> {
  const address = clientAddress(request, limits.trustCfConnectingIp);
  const keys: [string, LockoutRule][] = [];
  if (limits.address) keys.push([`preview-address:${address}`, limits.address]);
  if (limits.host) keys.push([`preview-host:${host}`, limits.host]);
  const decisions = await Promise.all(keys.map(([key, rule]) => limits.lockouts.attempt(key, rule)));
  const waitMs = Math.max(0, ...decisions.map((d) => d.retryAfterMs));
  if (decisions.some((d) => !d.allowed)) {
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
  return {
    allowed: true,
    succeed: async () => {
      await Promise.all(keys.map(([key]) => limits.lockouts.succeed(key)));
    },
  };
}
