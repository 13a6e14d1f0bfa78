import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attempt, type LockoutRule, type LockoutState, lockMs, parseLockoutRule } from "../src/lockout.ts";

const RULE: LockoutRule = { free: 3, baseMs: 1000, maxMs: 8000, forgetMs: 60_000 };

describe("lockMs", () => {
  it.each([
    [1, 0],
    [2, 0],
    [3, 1000],
    [4, 2000],
    [5, 4000],
    [6, 8000],
    [7, 8000],
    [60, 8000],
  ])("after %i attempts: %i ms", (attempts, ms) => {
    expect(lockMs(RULE, attempts)).toBe(ms);
  });
});

describe("attempt", () => {
  it("admits the free attempts, then locks for growing delays up to the cap", () => {
    let state: LockoutState | null = null;
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const result = attempt(state, RULE, now);
      expect(result.decision.allowed).toBe(true);
      state = result.state;
      const wait = Math.max(0, state.lockedUntil - now);
      waits.push(wait);
      if (wait > 0) expect(attempt(state, RULE, now + wait - 1).decision.allowed).toBe(false);
      now += wait;
    }
    expect(waits).toEqual([0, 0, 1000, 2000, 4000, 8000, 8000]);
  });

  it("refuses while locked without counting, and forgets after a quiet period", () => {
    let { state } = attempt(null, RULE, 0);
    state = attempt(state, RULE, 0).state;
    state = attempt(state, RULE, 0).state;
    const refused = attempt(state, RULE, 500);
    expect(refused.decision).toEqual({ allowed: false, attempts: 3, retryAfterMs: 500 });
    expect(refused.state).toEqual(state);
    const later = attempt(state, RULE, 60_000);
    expect(later.decision).toEqual({ allowed: true, attempts: 1, retryAfterMs: 0 });
  });

  it("never locks for longer than the cap, and never admits while locked", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 40 }), (gaps) => {
        let state: LockoutState | null = null;
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          const lockedUntil = state?.lockedUntil ?? 0;
          const result = attempt(state, RULE, now);
          if (now < lockedUntil && now - (state?.lastAt ?? 0) < RULE.forgetMs) {
            expect(result.decision.allowed).toBe(false);
          }
          expect(result.decision.retryAfterMs).toBeLessThanOrEqual(RULE.maxMs);
          expect(result.state.lockedUntil - now).toBeLessThanOrEqual(RULE.maxMs);
          state = result.state;
        }
      }),
    );
  });
});

describe("parseLockoutRule", () => {
  it("reads `<free> <base> <max>`", () => {
    expect(parseLockoutRule("X", "5 30s 15m", "1 1s 1s")).toEqual({
      free: 5,
      baseMs: 30_000,
      maxMs: 900_000,
      forgetMs: 3_600_000,
    });
    expect(parseLockoutRule("X", "2 200ms 1s", "1 1s 1s")).toMatchObject({
      free: 2,
      baseMs: 200,
      maxMs: 1000,
    });
  });

  it("keeps the default when empty, and is null when off", () => {
    expect(parseLockoutRule("X", "", "5 30s 15m")).toMatchObject({ free: 5 });
    expect(parseLockoutRule("X", undefined, "5 30s 15m")).toMatchObject({ free: 5 });
    expect(parseLockoutRule("X", "off", "5 30s 15m")).toBeNull();
  });

  it.each(["5", "0 1s 1s", "5 1x 2s", "5 10s 1s", "five 1s 1s"])("refuses %j", (raw) => {
    expect(() => parseLockoutRule("MIAOBU_X", raw, "5 30s 15m")).toThrow(/MIAOBU_X/);
  });
});
