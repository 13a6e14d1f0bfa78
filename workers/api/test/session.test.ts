import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createUser, expectProblem, newUser, PASSWORD, type TestUser, uniqueName } from "./helpers.ts";

const ORIGIN = "http://localhost";

async function signIn(email: string): Promise<string> {
  const res = await api("/api/v1/auth/session", { json: { email, password: PASSWORD } });
  expect(res.status).toBe(201);
  const setCookie = res.headers.get("Set-Cookie") ?? "";
  const match = /^miaobu_session=([^;]+)/.exec(setCookie);
  if (!match?.[1]) throw new Error(`no session cookie in ${setCookie}`);
  return match[1];
}

const cookie = (jwt: string) => ({ Cookie: `miaobu_session=${jwt}` });

let alice: TestUser;
beforeAll(async () => {
  alice = await newUser();
});

describe("POST /api/v1/auth/session", () => {
  it("signs in with a cookie that authenticates the API", async () => {
    const res = await api("/api/v1/auth/session", { json: { email: alice.email, password: PASSWORD } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ user: { id: alice.id, email: alice.email, name: "Test User" } });
    const setCookie = res.headers.get("Set-Cookie") ?? "";
    expect(setCookie).toMatch(/^miaobu_session=ey/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain("Secure"); // http here
    const jwt = /^miaobu_session=([^;]+)/.exec(setCookie)?.[1] ?? "";
    const me = await api("/api/v1/me", { headers: cookie(jwt) });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ user: { id: alice.id, email: alice.email, name: "Test User" } });
    const row = await env.DB.prepare("select user_id, expires_at, created_at from sessions where user_id = ?")
      .bind(alice.id)
      .first<{ user_id: string; expires_at: number; created_at: number }>();
    expect(row?.expires_at).toBe((row?.created_at ?? 0) + 30 * 24 * 3600 * 1000);
  });

  it("sets Secure over https", async () => {
    const { exports } = await import("cloudflare:workers");
    const res = await exports.default.fetch("https://localhost/api/v1/auth/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: alice.email, password: PASSWORD }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Set-Cookie")).toContain("Secure");
  });

  it("refuses a wrong password and malformed bodies", async () => {
    await expectProblem(
      await api("/api/v1/auth/session", { json: { email: alice.email, password: "nope" } }),
      401,
      "invalid_credentials",
    );
    await expectProblem(
      await api("/api/v1/auth/session", { json: { email: alice.email } }),
      400,
      "bad_request",
    );
    await expectProblem(
      await api("/api/v1/auth/session", { json: { email: "x".repeat(300), password: "p" } }),
      422,
      "invalid_input",
    );
  });
});

describe("cookie-authenticated requests", () => {
  it("accepts writes from the API's own origin and refuses others", async () => {
    const jwt = await signIn(alice.email);
    const name = uniqueName();
    const create = (headers: Record<string, string>) =>
      api("/api/v1/projects", { json: { name }, headers: { ...cookie(jwt), ...headers } });
    await expectProblem(await create({}), 403, "forbidden");
    await expectProblem(await create({ Origin: "http://evil.example" }), 403, "forbidden");
    await expectProblem(await create({ Origin: "null" }), 403, "forbidden");
    await expectProblem(await create({ "Sec-Fetch-Site": "cross-site" }), 403, "forbidden");
    expect((await create({ Origin: ORIGIN })).status).toBe(201);
    const again = await api("/api/v1/projects", {
      json: { name: uniqueName() },
      headers: { ...cookie(jwt), "Sec-Fetch-Site": "same-origin" },
    });
    expect(again.status).toBe(201);
    // Reads need no Origin.
    expect((await api("/api/v1/projects", { headers: cookie(jwt) })).status).toBe(200);
  });

  it("refuses a forged, tampered or expired cookie", async () => {
    const jwt = await signIn(alice.email);
    const [h, p, s] = jwt.split(".");
    const tampered = `${h}.${p}.${s?.startsWith("A") ? "B" : "A"}${s?.slice(1)}`;
    await expectProblem(await api("/api/v1/me", { headers: cookie(tampered) }), 401, "unauthorized");
    await expectProblem(await api("/api/v1/me", { headers: cookie("garbage") }), 401, "unauthorized");
    await env.DB.prepare("update sessions set expires_at = 1 where user_id = ?").bind(alice.id).run();
    await expectProblem(await api("/api/v1/me", { headers: cookie(jwt) }), 401, "unauthorized");
  });

  it("a bearer token wins over a cookie", async () => {
    const bob = await newUser();
    const jwt = await signIn(alice.email);
    const res = await api("/api/v1/me", { token: bob.token, headers: cookie(jwt) });
    expect(((await res.json()) as { user: { id: string } }).user.id).toBe(bob.id);
  });

  it("cookie WebSocket upgrades need the API's origin", async () => {
    const jwt = await signIn(alice.email);
    const res = await api("/api/v1/deployments/dpl_x/logs/ws", {
      headers: { ...cookie(jwt), Upgrade: "websocket", Origin: "http://evil.example" },
    });
    await expectProblem(res, 403, "forbidden");
  });
});

describe("DELETE /api/v1/auth/session", () => {
  it("revokes the session server-side and clears the cookie", async () => {
    const user = await createUser();
    const jwt = await signIn(user.email);
    await expectProblem(
      await api("/api/v1/auth/session", { method: "DELETE", headers: cookie(jwt) }),
      403,
      "forbidden",
    );
    const res = await api("/api/v1/auth/session", {
      method: "DELETE",
      headers: { ...cookie(jwt), Origin: ORIGIN },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Set-Cookie")).toMatch(/^miaobu_session=;.*Max-Age=0/);
    // The JWT itself is still well signed, but its session is gone.
    await expectProblem(await api("/api/v1/me", { headers: cookie(jwt) }), 401, "unauthorized");
    // Ending it again still clears the cookie.
    const again = await api("/api/v1/auth/session", {
      method: "DELETE",
      headers: { ...cookie(jwt), Origin: ORIGIN },
    });
    expect(again.status).toBe(204);
  });

  it("without a cookie answers 401", async () => {
    await expectProblem(await api("/api/v1/auth/session", { method: "DELETE" }), 401, "unauthorized");
  });
});

describe("GET /api/v1/auth/providers", () => {
  it("lists local sign-in and GitHub (configured in these tests)", async () => {
    const res = await api("/api/v1/auth/providers");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      local: true,
      github: { enabled: true, startUrl: "/api/v1/auth/github/start" },
    });
  });
});
