import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createUser, expectProblem, login, newUser, PASSWORD, sha256 } from "./helpers.ts";

interface LoginAnswer {
  token: string;
  tokenId: string;
  expiresAt: string;
  user: { id: string; email: string; name: string };
}

describe("login", () => {
  it("issues an mb_ token stored only as its SHA-256, expiring after the TTL", async () => {
    const user = await createUser();
    const before = Date.now();
    const res = await api("/api/v1/auth/login", {
      json: { email: user.email.toUpperCase(), password: PASSWORD, tokenName: "laptop" },
    });
    expect(res.status).toBe(201);
    const body = await res.json<LoginAnswer>();
    expect(body.token).toMatch(/^mb_[A-Za-z0-9_-]{43}$/);
    expect(body.tokenId).toMatch(/^tok_/);
    expect(body.user).toEqual({ id: user.id, email: user.email, name: "Test User" });
    const ttl = Date.parse(body.expiresAt) - before;
    expect(ttl).toBeGreaterThanOrEqual(90 * 86_400_000 - 1000);
    expect(ttl).toBeLessThanOrEqual(90 * 86_400_000 + 5000);

    const row = await env.DB.prepare("select * from api_tokens where id = ?")
      .bind(body.tokenId)
      .first<{ token_hash: string; name: string; user_id: string }>();
    expect(row?.token_hash).toBe(await sha256(body.token));
    expect(row?.name).toBe("laptop");
    expect(row?.user_id).toBe(user.id);
    const raw = await env.DB.prepare("select count(*) as n from api_tokens where token_hash = ?")
      .bind(body.token)
      .first<{ n: number }>();
    expect(raw?.n).toBe(0);
  });

  it("refuses a wrong password and an unknown email alike", async () => {
    const user = await createUser();
    const wrong = await api("/api/v1/auth/login", { json: { email: user.email, password: "nope" } });
    await expectProblem(wrong, 401, "invalid_credentials");
    const unknown = await api("/api/v1/auth/login", {
      json: { email: "who@example.com", password: PASSWORD },
    });
    await expectProblem(unknown, 401, "invalid_credentials");
  });

  it("refuses malformed JSON, unknown fields, wrong types, over-long names and non-JSON bodies", async () => {
    const malformed = await api("/api/v1/auth/login", {
      body: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(malformed, 400, "bad_request");

    const extra = await api("/api/v1/auth/login", { json: { email: "a@b.c", password: "x", admin: true } });
    const extraBody = await expectProblem(extra, 400, "bad_request");
    expect(extraBody.errors).toContainEqual({ field: "admin", message: "unknown field" });

    const types = await api("/api/v1/auth/login", { json: { email: 1, password: "x" } });
    const typesBody = await expectProblem(types, 400, "bad_request");
    expect(typesBody.errors?.map((e) => e.field)).toEqual(["email"]);

    const long = await api("/api/v1/auth/login", {
      json: { email: "a@b.c", password: "x", tokenName: "t".repeat(101) },
    });
    const longBody = await expectProblem(long, 422, "invalid_input");
    expect(longBody.errors?.map((e) => e.field)).toEqual(["tokenName"]);

    const form = await api("/api/v1/auth/login", {
      body: "email=a&password=b",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    await expectProblem(form, 415, "unsupported_media_type");
  });
});

describe("token authentication", () => {
  it("answers /me and records last use", async () => {
    const user = await newUser();
    const res = await api("/api/v1/me", { token: user.token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: { id: user.id, email: user.email, name: "Test User" } });
    const row = await env.DB.prepare("select last_used_at from api_tokens where token_hash = ?")
      .bind(await sha256(user.token))
      .first<{ last_used_at: number | null }>();
    expect(row?.last_used_at).toBeGreaterThan(Date.now() - 60_000);
  });

  it("answers 401 with no token and with an unknown token", async () => {
    await expectProblem(await api("/api/v1/me"), 401, "unauthorized");
    await expectProblem(await api("/api/v1/me", { token: "mb_nottherealone" }), 401, "unauthorized");
    await expectProblem(
      await api("/api/v1/me", { headers: { Authorization: "Basic abc" } }),
      401,
      "unauthorized",
    );
  });

  it("answers 401 token_expired telling to log in again", async () => {
    const user = await newUser();
    await env.DB.prepare("update api_tokens set expires_at = ? where token_hash = ?")
      .bind(Date.now() - 1000, await sha256(user.token))
      .run();
    const body = await expectProblem(await api("/api/v1/me", { token: user.token }), 401, "token_expired");
    expect(body.detail).toContain("miaobu login");
  });

  it("logout revokes only the token that made the request", async () => {
    const user = await createUser();
    const first = await login(user.email);
    const second = await login(user.email);
    const res = await api("/api/v1/auth/logout", { method: "POST", token: first });
    expect(res.status).toBe(204);
    await expectProblem(await api("/api/v1/me", { token: first }), 401, "unauthorized");
    expect((await api("/api/v1/me", { token: second })).status).toBe(200);
    const row = await env.DB.prepare("select revoked_at from api_tokens where token_hash = ?")
      .bind(await sha256(first))
      .first<{ revoked_at: number | null }>();
    expect(row?.revoked_at).not.toBeNull();
  });

  it("needs a token to log out", async () => {
    await expectProblem(await api("/api/v1/auth/logout", { method: "POST" }), 401, "unauthorized");
  });
});
