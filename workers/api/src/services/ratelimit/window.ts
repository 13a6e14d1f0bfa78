// The rate limiter's algorithm: a sliding window kept as a log of small time buckets.
//
// The window of `windowMs` is cut into about BUCKETS buckets of `granularity` ms each; every admitted request
// adds its cost to the bucket of its time. A request is admitted when the sum of every bucket that overlaps
// the last `windowMs` (the oldest one counted whole) plus its cost stays within the limit. Counting the
// oldest bucket whole over-estimates what was admitted in the window, never under-estimates it, so no window
// of `windowMs` ever contains more admitted cost than `limit` (the property test checks exactly that). The
// price is that quota comes back a little late: at most two buckets (1/30 of the window). Memory is O(BUCKETS) per
// identity, unlike an exact log of timestamps, and there is no burst at window edges, unlike fixed windows.

/** How many buckets a window is cut into. */
export const BUCKETS = 60;

/** A policy's limit: at most `limit` (cost) per any `windowMs`. */
export interface Rule {
  limit: number;
  windowMs: number;
}

/** `[bucket index, admitted cost]`, oldest first. */
export type Buckets = [index: number, count: number][];

/** What the limiter decided about one request. */
export interface Decision {
  allowed: boolean;
  limit: number;
  /** Cost still admissible right now after this request. */
  remaining: number;
  /** Milliseconds until the whole quota is available again. */
  resetMs: number;
  /** Milliseconds until this request would be admitted; 0 when it was. */
  retryAfterMs: number;
}

/** Length of one bucket for a window. */
export function granularity(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / BUCKETS));
}

/** How many buckets before the current one are counted: enough to cover the whole window. */
function span(windowMs: number): number {
  return Math.ceil(windowMs / granularity(windowMs));
}

/** When the last admitted cost of `buckets` has left every window: the state can then be forgotten. */
export function expiresAt(buckets: Buckets, windowMs: number): number {
  const last = buckets.at(-1);
  if (!last) return 0;
  return (last[0] + span(windowMs) + 1) * granularity(windowMs);
}

/** The buckets still counted at `now`. */
export function prune(buckets: Buckets, windowMs: number, now: number): Buckets {
  const current = Math.floor(now / granularity(windowMs));
  const oldest = current - span(windowMs);
  return buckets.filter(([index]) => index >= oldest);
}

/**
 * Decides one request of `cost` at `now` against `rule`, returning the new state (the same array content
 * when refused) and the decision. Pure: the Durable Object keeps the state, tests call it directly.
 */
export function take(
  state: Buckets,
  rule: Rule,
  now: number,
  cost = 1,
): { state: Buckets; decision: Decision } {
  const g = granularity(rule.windowMs);
  const n = span(rule.windowMs);
  // A clock that steps back must not reopen a closed window: never count from before the newest bucket.
  const newest = state.at(-1)?.[0] ?? Number.NEGATIVE_INFINITY;
  const current = Math.max(Math.floor(now / g), newest);
  const at = Math.max(now, current * g);
  const counted = state.filter(([index]) => index >= current - n);
  const used = counted.reduce((sum, [, count]) => sum + count, 0);

  if (used + cost <= rule.limit) {
    const next: Buckets = counted.map(([index, count]) => [index, count]);
    const last = next.at(-1);
    if (last && last[0] === current) last[1] += cost;
    else next.push([current, cost]);
    return {
      state: next,
      decision: {
        allowed: true,
        limit: rule.limit,
        remaining: rule.limit - used - cost,
        resetMs: (current + n + 1) * g - at,
        retryAfterMs: 0,
      },
    };
  }

  // Refused: find the first time enough old buckets have left the window for this cost to fit.
  let retryAt = (current + n + 1) * g;
  let left = used;
  for (const [index, count] of counted) {
    left -= count;
    if (left + cost <= rule.limit) {
      retryAt = (index + n + 1) * g;
      break;
    }
  }
  const newestCounted = counted.at(-1)?.[0] ?? current;
  return {
    state: counted,
    decision: {
      allowed: false,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - used),
      resetMs: (newestCounted + n + 1) * g - at,
      retryAfterMs: Math.max(1, retryAt - at),
    },
  };
}
