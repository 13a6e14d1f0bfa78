import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createLimiter, durableTake, type TakeFn } from "../src/services/ratelimit/limiter.ts";
import { freeBuildSlots, gitProject, startOf, trigger } from "./build-helpers.ts";
import { createDeployment, createProject, expectProblem, file, newUser } from "./helpers.ts";
import { freshIp, limitedApi, limitHeaders } from "./rate-limit-support.ts";

describe("rate limits per policy", () => {
  it("limits logins per IP, tightly", async () => {
    const call = limitedApi({ login: "3/1m" });
    const ip = freshIp();
    const attempt = (from: string) =>
      call("/api/v1/auth/login", { ip: from, json: { email: "nobody@example.com", password: "guess" } });
    for (let i = 0; i < 3; i++) {
      const res = await attempt(ip);
      expect(res.status).toBe(401);
      expect(limitHeaders(res)).toMatchObject({ limit: "3", remaining: String(2 - i), retryAfter: null });
    }
    const refused = await attempt(ip);
    const problem = await expectProblem(refused, 429, "rate_limited");
    expect(problem.detail).toMatch(/login limit is 3 per 1 minute/);
    const headers = limitHeaders(refused);
    expect(headers).toMatchObject({ limit: "3", remaining: "0" });
    expect(Number(headers.retryAfter)).toBeGreaterThanOrEqual(59);
    expect(Number(headers.retryAfter)).toBeLessThanOrEqual(62);
    expect(refused.headers.get("RateLimit-Policy")).toBe("3;w=60");
    // Another address is not affected.
    expect((await attempt(freshIp())).status).toBe(401);
  });

  it("limits unauthenticated routes per IP", async () => {
    const call = limitedApi({ unauthenticated: "2/1m" });
    const ip = freshIp();
    expect((await call("/api/v1/openapi.json", { ip })).status).toBe(200);
    const second = await call("/api/v1/hooks/deploy/mbh_nothing", { ip, method: "POST" });
    expect(second.status).toBe(404);
    expect(limitHeaders(second).remaining).toBe("0");
    await expectProblem(await call("/api/v1/openapi.json", { ip }), 429, "rate_limited");
    // The probes are never limited.
    expect((await call("/healthz", { ip })).status).toBe(200);
    expect((await call("/readyz", { ip })).status).toBe(200);
  });

  it("limits the API per credential, not per IP", async () => {
    const call = limitedApi({ api: "3/1m" });
    const a = await newUser();
    const b = await newUser();
    for (let i = 0; i < 3; i++) expect((await call("/api/v1/me", { token: a.token })).status).toBe(200);
    const refused = await call("/api/v1/projects", { token: a.token });
    await expectProblem(refused, 429, "rate_limited");
    expect(refused.headers.get("X-Request-Id")).toMatch(/^req_/);
    expect((await call("/api/v1/me", { token: b.token })).status).toBe(200);
  });

  it("admits no more than the limit from many parallel requests of one identity", async () => {
    const call = limitedApi({ api: "10/1m" });
    const user = await newUser();
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call("/api/v1/me", { token: user.token, ip: `203.0.113.${i}` })),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
  });

  it("limits deploy triggers per project", async () => {
    const call = limitedApi({ deploy: "2/1h" });
    const user = await newUser();
    const project = await gitProject(user.token);
    const other = await gitProject(user.token);
    const trigger = (name: string) =>
      call(`/api/v1/projects/${name}/builds`, { token: user.token, json: { branch: `b-${Math.random()}` } });
    expect((await trigger(project.name)).status).toBe(202);
    const second = await trigger(project.name);
    expect(second.status).toBe(202);
    expect(limitHeaders(second)).toMatchObject({ limit: "2", remaining: "0" });
    const refused = await trigger(project.name);
    const problem = await expectProblem(refused, 429, "rate_limited");
    expect(problem.detail).toMatch(/deploy limit is 2 per 1 hour/);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(3500);
    expect(refused.headers.get("RateLimit-Policy")).toBe("2;w=3600");
    // The refused trigger wrote nothing, and another project has its own quota.
    const { results } = await env.DB.prepare("select id from deployments where project_id = ?")
      .bind(project.id)
      .all();
    expect(results).toHaveLength(2);
    expect((await trigger(other.name)).status).toBe(202);
  });

  it("limits blob uploads per deployment, apart from the API quota", async () => {
    const call = limitedApi({ blobs: "2/1m", api: "3/1m" });
    const user = await newUser();
    const project = await createProject(user.token);
    const files = await Promise.all(
      ["a", "b", "c"].map((n) => file(`${n}.txt`, `content ${n} ${Math.random()}`)),
    );
    const { deployment } = await createDeployment(user.token, project.name, files);
    const put = (i: number) => {
      const f = files[i];
      if (!f) throw new Error("no file");
      return call(`/api/v1/deployments/${deployment.id}/blobs/${f.hash}`, {
        method: "PUT",
        token: user.token,
        body: f.bytes,
        headers: { "Content-Type": "application/octet-stream" },
      });
    };
    expect((await put(0)).status).toBe(201);
    expect((await put(1)).status).toBe(201);
    await expectProblem(await put(2), 429, "rate_limited");
    // The uploads did not use the API quota.
    const me = await call("/api/v1/me", { token: user.token });
    expect(me.status).toBe(200);
    expect(limitHeaders(me)).toMatchObject({ limit: "3", remaining: "2" });
  });

  it("limits a build's log batches per deployment, apart from its callbacks' API quota", async () => {
    const call = limitedApi({ logs: "3/1m", api: "2/1m" });
    // The trigger test above leaves its builds running; this one needs a free slot.
    await freeBuildSlots();
    const user = await newUser();
    const project = await gitProject(user.token);
    const d = await trigger(user.token, project.name);
    const { callback } = await startOf(d.id);
    const batch = (seq: number) =>
      call(`/api/v1/builds/${d.id}/logs`, {
        token: callback.token,
        json: { seq, lines: [{ t: Date.now(), stream: "stdout", text: `line ${seq}` }] },
      });
    for (const seq of [1, 2, 3]) expect((await batch(seq)).status).toBe(200);
    const refused = await batch(4);
    const problem = await expectProblem(refused, 429, "rate_limited");
    expect(problem.detail).toMatch(/logs limit is 3 per 1 minute/);
    // The batches did not use the callback token's API quota: this event is the first request it counts.
    const event = await call(`/api/v1/builds/${d.id}/events`, {
      token: callback.token,
      json: { status: "cloning", heartbeat: true },
    });
    expect(event.status).toBe(200);
    expect(limitHeaders(event)).toMatchObject({ limit: "2", remaining: "1" });
    await freeBuildSlots();
  });

  it("charges refused credentials to the IP, so guessing tokens does not buy quota", async () => {
    const call = limitedApi({ unauthenticated: "3/1m" });
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await call("/api/v1/me", { ip, token: `mb_guess${i}${Math.random()}` })).status);
    }
    // Three guesses fit; the fourth is answered and tips the IP over; from then on the IP is refused.
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });
});

describe("the limiter", () => {
  it("fails open on the API and logs it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = createLimiter(async () => {
      throw new Error("object unreachable");
    });
    const call = limitedApi({}, broken);
    const user = await newUser();
    const res = await call("/api/v1/me", { token: user.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Limit")).toBeNull();
    expect(errors.mock.calls.map((c) => String(c[0]))).toContainEqual(
      expect.stringContaining('"msg":"rate limiter failed; failing open","policy":"api"'),
    );
    errors.mockRestore();
  });

  it("fails closed on login with a 503 and logs it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const call = limitedApi(
      {},
      createLimiter(async () => {
        throw new Error("object unreachable");
      }),
    );
    const res = await call("/api/v1/auth/login", { json: { email: "a@example.com", password: "x" } });
    await expectProblem(res, 503, "unavailable");
    expect(errors.mock.calls.map((c) => String(c[0]))).toContainEqual(
      expect.stringContaining("failing closed"),
    );
    errors.mockRestore();
  });

  it("skips the object for identities it already knows are blocked", async () => {
    let calls = 0;
    const inner = durableTake(env.RATE_LIMITER);
    const counting: TakeFn = (name, policy, cost) => {
      calls++;
      return inner(name, policy, cost);
    };
    const call = limitedApi({ unauthenticated: "1/1m" }, createLimiter(counting));
    const ip = freshIp();
    expect((await call("/api/v1/openapi.json", { ip })).status).toBe(200);
    expect((await call("/api/v1/openapi.json", { ip })).status).toBe(429);
    expect(calls).toBe(2);
    for (let i = 0; i < 5; i++) expect((await call("/api/v1/openapi.json", { ip })).status).toBe(429);
    expect(calls).toBe(2);
  });
});
