import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonDepth } from "../src/middleware/body-limits.ts";
import { parsePolicy } from "../src/services/ratelimit/policies.ts";
import {
  BUCKETS,
  type Buckets,
  expiresAt,
  granularity,
  type Rule,
  take,
} from "../src/services/ratelimit/window.ts";

/** Runs requests at the given times (ascending) and returns the times admitted. */
function admitted(rule: Rule, times: number[], costs: number[] = []): { at: number; cost: number }[] {
  let state: Buckets = [];
  const out: { at: number; cost: number }[] = [];
  times.forEach((at, i) => {
    const cost = costs[i] ?? 1;
    const result = take(state, rule, at, cost);
    state = result.state;
    if (result.decision.allowed) out.push({ at, cost });
  });
  return out;
}

/** The most cost admitted in any window `(t - windowMs, t]`. */
function worstWindow(rule: Rule, admits: { at: number; cost: number }[]): number {
  let worst = 0;
  for (const end of admits) {
    const sum = admits
      .filter((a) => a.at > end.at - rule.windowMs && a.at <= end.at)
      .reduce((n, a) => n + a.cost, 0);
    worst = Math.max(worst, sum);
  }
  return worst;
}

describe("the sliding window", () => {
  const rule = { limit: 3, windowMs: 60_000 };

  it.each([
    { name: "admits up to the limit at once", times: [0, 0, 0, 0], admitted: 3 },
    { name: "refuses within the window", times: [0, 1_000, 30_000, 59_000], admitted: 3 },
    { name: "admits again once the oldest left the window", times: [0, 0, 0, 61_001], admitted: 4 },
    { name: "admits a steady rate under the limit", times: [0, 20_500, 41_000, 61_500, 82_000], admitted: 5 },
    // The oldest bucket is counted whole: quota returns a little late (at most two 1 s buckets), never early.
    { name: "never returns quota early", times: [500, 500, 500, 60_400], admitted: 3 },
  ])("$name", ({ times, admitted: expected }) => {
    expect(admitted(rule, times)).toHaveLength(expected);
  });

  it("counts down remaining and says when to retry", () => {
    let state: Buckets = [];
    const remaining: number[] = [];
    for (const at of [0, 10_000, 20_000]) {
      const r = take(state, rule, at);
      state = r.state;
      remaining.push(r.decision.remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);
    const refused = take(state, rule, 30_000).decision;
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    // The request at 0 s leaves after its 1 s bucket plus 60 s: retry at 61 s, 31 s from now.
    expect(refused.retryAfterMs).toBe(31_000);
    expect(take(state, rule, 30_000 + refused.retryAfterMs).decision.allowed).toBe(true);
    expect(take(state, rule, 30_000 + refused.retryAfterMs - 1).decision.allowed).toBe(false);
  });

  it("does not reopen the window when the clock steps back", () => {
    let state: Buckets = [];
    for (let i = 0; i < 3; i++) state = take(state, rule, 100_000).state;
    expect(take(state, rule, 1_000).decision.allowed).toBe(false);
  });

  it("keeps at most one bucket per slice of the window and forgets them after it", () => {
    let state: Buckets = [];
    const big = { limit: 1_000_000, windowMs: 60_000 };
    for (let at = 0; at < 300_000; at += 250) state = take(state, big, at).state;
    expect(state.length).toBeLessThanOrEqual(BUCKETS + 1);
    expect(expiresAt(state, big.windowMs)).toBeGreaterThan(300_000);
    expect(granularity(big.windowMs)).toBe(1_000);
  });

  it("never admits more than the limit in any window (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 3 })), {
          maxLength: 200,
        }),
        (limit, windowMs, steps) => {
          const r = { limit, windowMs };
          let at = 0;
          const times = steps.map(([gap]) => (at += gap));
          const admits = admitted(
            r,
            times,
            steps.map(([, cost]) => cost),
          );
          expect(worstWindow(r, admits)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("admits everything under the limit when requests are spread out (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 60, max: 600_000 }),
        (limit, windowMs) => {
          // Quota comes back at most two buckets late, so one request per (window + two buckets) / limit fits.
          const step = Math.ceil((windowMs + 2 * granularity(windowMs)) / limit) + 1;
          const times = Array.from({ length: limit * 3 }, (_, i) => i * step);
          expect(admitted({ limit, windowMs }, times)).toHaveLength(times.length);
        },
      ),
    );
  });
});

describe("policy specs", () => {
  it.each([
    ["10/1m", { limit: 10, windowMs: 60_000, onFailure: "closed" }],
    ["60/1h open", { limit: 60, windowMs: 3_600_000, onFailure: "open" }],
    ["5 / 30s", { limit: 5, windowMs: 30_000, onFailure: "closed" }],
    ["100/d", { limit: 100, windowMs: 86_400_000, onFailure: "closed" }],
    ["", { limit: 10, windowMs: 60_000, onFailure: "closed" }],
  ])("parses %j", (spec, expected) => {
    expect(parsePolicy("login", spec)).toEqual({ name: "login", ...expected });
  });

  it("turns a policy off", () => {
    expect(parsePolicy("api", "off")).toBeNull();
  });

  it.each(["10", "ten/1m", "0/1m", "10/1y", "10/1m maybe"])("refuses %j", (spec) => {
    expect(() => parsePolicy("api", spec)).toThrow(/MIAOBU_RATE_LIMIT_API/);
  });
});

describe("JSON depth", () => {
  it.each([
    ["{}", 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['"[[[["', 0],
    ['{"a":"\\"[["}', 1],
    ["[[[]]]", 3],
  ])("%s nests %i deep", (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });
});
