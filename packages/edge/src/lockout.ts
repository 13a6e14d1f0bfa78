// Growing delays after failed attempts: the first `free` attempts pass back to back; from the `free`-th on,
// each attempt locks the key for `baseMs`, doubling with every further attempt up to `maxMs`. An attempt is
// counted when it is made, not when it fails, so parallel guesses cannot slip past the lock; a success
// clears the key (the caller deletes the state). A key quiet for `forgetMs` starts afresh.

/** When and how long a key is locked. */
export interface LockoutRule {
  free: number;
  baseMs: number;
  maxMs: number;
  forgetMs: number;
}

/** What is kept per key. */
export interface LockoutState {
  attempts: number;
  lockedUntil: number;
  lastAt: number;
}

/** The answer to one attempt. */
export interface LockoutDecision {
  allowed: boolean;
  /** Attempts counted so far, this one included when allowed. */
  attempts: number;
  /** Milliseconds until the next attempt is allowed; 0 when this one was. */
  retryAfterMs: number;
}

/** How long the key stays locked after its `attempts`-th attempt. */
export function lockMs(rule: LockoutRule, attempts: number): number {
  if (attempts < rule.free) return 0;
  return Math.min(rule.maxMs, rule.baseMs * 2 ** Math.min(attempts - rule.free, 40));
}

/** Decides one attempt at `now`; pure, so the Durable Object keeps the state and tests call it directly. */
export function attempt(
  previous: LockoutState | null,
  rule: LockoutRule,
  now: number,
): { state: LockoutState; decision: LockoutDecision } {
  const state = previous && now - previous.lastAt < rule.forgetMs ? previous : null;
  if (state && now < state.lockedUntil) {
    return {
      state,
      decision: { allowed: false, attempts: state.attempts, retryAfterMs: state.lockedUntil - now },
    };
  }
  const attempts = (state?.attempts ?? 0) + 1;
  const lock = lockMs(rule, attempts);
  return {
    state: { attempts, lockedUntil: lock > 0 ? now + lock : 0, lastAt: now },
    decision: { allowed: true, attempts, retryAfterMs: 0 },
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+)(ms|s|m|h)$/;
const FORGET_MS = 3_600_000;

function duration(text: string | undefined): number | null {
  const match = DURATION.exec(text ?? "");
  const unit = match?.[2] ? UNITS[match[2]] : undefined;
  return match && unit !== undefined ? Number(match[1]) * unit : null;
}

/**
 * Parses `"<free> <base> <max>"` (`"5 30s 15m"`: five attempts back to back, then 30 s, 1 min, 2 min, … up to
 * 15 min) or `"off"` (null); empty keeps `fallback`. Throws on anything else, naming `variable`.
 */
export function parseLockoutRule(
  variable: string,
  raw: string | undefined,
  fallback: string,
): LockoutRule | null {
  const value = (raw ?? "").trim().toLowerCase() || fallback;
  if (value === "off") return null;
  const [free, base, max, extra] = value.split(/\s+/);
  const rule = { free: Number(free), baseMs: duration(base), maxMs: duration(max), forgetMs: FORGET_MS };
  if (
    extra !== undefined ||
    !Number.isSafeInteger(rule.free) ||
    rule.free < 1 ||
    rule.baseMs === null ||
    rule.maxMs === null ||
    rule.baseMs < 1 ||
    rule.maxMs < rule.baseMs
  ) {
    throw new Error(`${variable} must look like "5 30s 15m" or "off", got "${raw}"`);
  }
  return { ...rule, baseMs: rule.baseMs, maxMs: rule.maxMs, forgetMs: Math.max(FORGET_MS, rule.maxMs * 2) };
}
