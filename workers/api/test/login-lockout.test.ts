import { describe, expect, it } from "vitest";
import { createUser, expectProblem, PASSWORD } from "./helpers.ts";
import { freshIp, limitedApi } from "./rate-limit-support.ts";

// Two attempts back to back, then 1 s, 2 s, … up to 4 s.
const call = limitedApi({}, undefined, { MIAOBU_LOGIN_LOCKOUT: "2 1s 4s" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function login(email: string, password: string, route: "login" | "session" = "login") {
  // A new address every time: the per-account limit does not care where guesses come from.
  return call(`/api/v1/auth/${route}`, { ip: freshIp(), json: { email, password } });
}

async function expectLocked(res: Response, min: number, max: number): Promise<void> {
  const problem = await expectProblem(res, 429, "rate_limited");
  const retryAfter = Number(res.headers.get("Retry-After"));
  expect(retryAfter).toBeGreaterThanOrEqual(min);
  expect(retryAfter).toBeLessThanOrEqual(max);
  expect(problem.detail).toMatch(new RegExp(`Try again in ${retryAfter} s`));
}

describe("per-account login limit", () => {
  it("locks an account after failed attempts, with growing delays, whatever the address", async () => {
    const user = await createUser();
    expect((await login(user.email, "wrong")).status).toBe(401);
    expect((await login(user.email, "wrong", "session")).status).toBe(401);
    // Locked: even the right password waits, so the lock says nothing about it.
    await expectLocked(await login(user.email, PASSWORD), 1, 1);
    await sleep(1100);
    expect((await login(user.email, "wrong")).status).toBe(401);
    await expectLocked(await login(user.email, PASSWORD, "session"), 1, 2);
  });

  it("treats an unknown email exactly like a known one", async () => {
    const email = `nobody-${crypto.randomUUID()}@example.com`;
    expect((await login(email, "wrong")).status).toBe(401);
    expect((await login(email, "wrong")).status).toBe(401);
    await expectLocked(await login(email, "wrong"), 1, 1);
  });

  it("forgets the failures once the right password is given", async () => {
    const user = await createUser();
    expect((await login(user.email, "wrong")).status).toBe(401);
    expect((await login(user.email, PASSWORD)).status).toBe(201);
    expect((await login(user.email, "wrong")).status).toBe(401);
    expect((await login(user.email.toUpperCase(), PASSWORD, "session")).status).toBe(201);
    expect((await login(user.email, "wrong")).status).toBe(401);
  });
});
