import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../src/index.ts";
import { finishOAuth, getManual, githubLinkedUser, nextGitHubId, startOAuth } from "./github-helpers.ts";
import { api, createUser, expectProblem, newUser } from "./helpers.ts";

describe("GitHub sign-in", () => {
  it("start redirects to GitHub with a state kept in a signed, HttpOnly cookie", async () => {
    const { location, cookie, state } = await startOAuth("?returnTo=/projects");
    expect(`${location.origin}${location.pathname}`).toBe(`${env.GITHUB_API_URL}/login/oauth/authorize`);
    expect(location.searchParams.get("client_id")).toBe("test-client-id");
    expect(location.searchParams.get("redirect_uri")).toBe("http://localhost/api/v1/auth/github/callback");
    expect(location.searchParams.get("scope")).toBe("repo read:org user:email");
    expect(state.length).toBeGreaterThanOrEqual(32);
    expect(cookie).toMatch(/^miaobu_github_oauth=ey/);
  });

  it("signs a new user in, then matches them by GitHub id even after a rename", async () => {
    const id = nextGitHubId();
    const first = await startOAuth("?returnTo=/projects");
    const res = await finishOAuth(first.cookie, first.state, id, `octo${id}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("/projects");
    const session = /miaobu_session=([^;]+)/.exec(res.headers.get("Set-Cookie") ?? "")?.[1] ?? "";
    const me = await (await api("/api/v1/me", { headers: { Cookie: `miaobu_session=${session}` } })).json<{
      user: { id: string; email: string };
    }>();
    expect(me.user.email).toBe(`octo${id}@users.example.com`);
    const row = await env.DB.prepare(
      "select github_id, github_login, github_token_encrypted from users where id = ?",
    )
      .bind(me.user.id)
      .first<{ github_id: number; github_login: string; github_token_encrypted: string }>();
    expect(row?.github_id).toBe(id);
    expect(row?.github_token_encrypted).toMatch(/^v1\./);
    expect(row?.github_token_encrypted).not.toContain("gho_");

    const again = await startOAuth();
    const renamed = await finishOAuth(again.cookie, again.state, id, `renamed${id}`);
    const session2 = /miaobu_session=([^;]+)/.exec(renamed.headers.get("Set-Cookie") ?? "")?.[1] ?? "";
    const me2 = await (await api("/api/v1/me", { headers: { Cookie: `miaobu_session=${session2}` } })).json<{
      user: { id: string };
    }>();
    expect(me2.user.id).toBe(me.user.id);
  });

  it("refuses a callback without the state cookie, with another state, or replayed", async () => {
    const { cookie, state } = await startOAuth();
    const id = nextGitHubId();
    await expectProblem(await finishOAuth("", state, id, "x"), 400, "bad_request");
    const other = await startOAuth();
    await expectProblem(await finishOAuth(cookie, other.state, id, "x"), 400, "bad_request");
    await expectProblem(
      await finishOAuth("miaobu_github_oauth=forged.jwt.here", state, id, "x"),
      400,
      "bad_request",
    );
  });

  it("redirects with an error when the user declines or GitHub refuses the code", async () => {
    const declined = await startOAuth("?returnTo=/x");
    const res = await getManual(`/api/v1/auth/github/callback?error=access_denied&state=${declined.state}`, {
      Cookie: declined.cookie,
    });
    expect(res.headers.get("Location")).toBe("/x?github_error=access_denied");
    const bad = await startOAuth();
    const refused = await getManual(`/api/v1/auth/github/callback?code=nonsense&state=${bad.state}`, {
      Cookie: bad.cookie,
    });
    expect(refused.headers.get("Location")).toBe("/?github_error=invalid_credentials");
  });

  it("does not take over a local account that has the same email", async () => {
    const id = nextGitHubId();
    await createUser(`clash${id}@users.example.com`);
    const { cookie, state } = await startOAuth();
    const res = await finishOAuth(cookie, state, id, `clash${id}`);
    expect(res.headers.get("Location")).toBe("/?github_error=conflict");
    expect(res.headers.get("Set-Cookie") ?? "").not.toContain("miaobu_session=ey");
  });

  it("only same-site paths are accepted as returnTo", async () => {
    for (const bad of ["//evil.example", "https://evil.example", "/\\\\evil.example"]) {
      const res = await getManual(`/api/v1/auth/github/start?returnTo=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(422);
    }
  });
});

describe("linking GitHub to a local account", () => {
  it("links, and refuses a GitHub account linked to someone else", async () => {
    const alice = await githubLinkedUser();
    const bob = await newUser();
    const { cookie, state } = await startOAuth("?link=1", { Authorization: `Bearer ${bob.token}` });
    const res = await finishOAuth(cookie, state, alice.githubId, alice.login);
    expect(res.headers.get("Location")).toBe("/?github_error=conflict");
  });

  it("needs an authenticated user", async () => {
    await expectProblem(await getManual("/api/v1/auth/github/start?link=1"), 401, "unauthorized");
  });
});

describe("GitHub not configured", () => {
  it("providers say so and the GitHub routes answer 404", async () => {
    const off = { ...env, GITHUB_CLIENT_ID: "", GITHUB_CLIENT_SECRET: "", GITHUB_WEBHOOK_SECRET: "" };
    const call = async (path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`http://localhost${path}`, init), off, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect(await (await call("/api/v1/auth/providers")).json()).toEqual({
      local: true,
      github: { enabled: false, startUrl: "/api/v1/auth/github/start" },
    });
    const start = await expectProblem(await call("/api/v1/auth/github/start"), 404, "not_found");
    expect(start.detail).toContain("GitHub is not configured");
    await expectProblem(await call("/api/v1/hooks/github", { method: "POST", body: "{}" }), 404, "not_found");
  });
});
