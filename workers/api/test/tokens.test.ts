import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createProject, deploy, expectProblem, file, newUser, type TestUser } from "./helpers.ts";

interface TokenJson {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string;
  lastUsedAt: string | null;
  createdAt: string;
  current: boolean;
}

async function createToken(
  token: string,
  body: Record<string, unknown>,
): Promise<TokenJson & { token: string }> {
  const res = await api("/api/v1/tokens", { token, json: body });
  expect(res.status).toBe(201);
  return res.json();
}

let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  alice = await newUser();
  bob = await newUser();
});

describe("/api/v1/tokens", () => {
  it("creates a scoped token shown once, lists and revokes it", async () => {
    const before = Date.now();
    const created = await createToken(alice.token, { name: "ci", scopes: ["deploy"], expiresInDays: 7 });
    expect(created.token).toMatch(/^mb_/);
    expect(created).toMatchObject({ name: "ci", scopes: ["deploy"], lastUsedAt: null, current: false });
    const expires = Date.parse(created.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    expect(expires).toBeLessThan(before + 7 * 86_400_000 + 60_000);

    const list = await api("/api/v1/tokens", { token: alice.token });
    expect(list.status).toBe(200);
    const { tokens } = await list.json<{ tokens: TokenJson[] }>();
    const listed = tokens.find((t) => t.id === created.id);
    expect(listed).toEqual({
      id: created.id,
      name: "ci",
      scopes: ["deploy"],
      expiresAt: created.expiresAt,
      lastUsedAt: null,
      createdAt: created.createdAt,
      current: false,
    });
    expect(JSON.stringify(tokens)).not.toContain(created.token);
    // The login token is there with every scope, marked current.
    const current = tokens.filter((t) => t.current);
    expect(current).toHaveLength(1);
    expect(current[0]?.scopes).toEqual(["read", "deploy", "admin"]);

    // Use records lastUsedAt.
    expect((await api("/api/v1/projects", { token: created.token })).status).toBe(200);
    const after = await (await api("/api/v1/tokens", { token: alice.token })).json<{ tokens: TokenJson[] }>();
    expect(after.tokens.find((t) => t.id === created.id)?.lastUsedAt).not.toBeNull();

    const revoked = await api(`/api/v1/tokens/${created.id}`, { method: "DELETE", token: alice.token });
    expect(revoked.status).toBe(204);
    await expectProblem(await api("/api/v1/me", { token: created.token }), 401, "unauthorized");
    await expectProblem(
      await api(`/api/v1/tokens/${created.id}`, { method: "DELETE", token: alice.token }),
      404,
      "not_found",
    );
  });

  it("validates the body", async () => {
    const bad = [
      [{ name: "", scopes: ["read"], expiresInDays: 1 }, 422],
      [{ name: "x".repeat(101), scopes: ["read"], expiresInDays: 1 }, 422],
      [{ name: "x", scopes: [], expiresInDays: 1 }, 422],
      [{ name: "x", scopes: ["read", "read"], expiresInDays: 1 }, 422],
      [{ name: "x", scopes: ["root"], expiresInDays: 1 }, 422],
      [{ name: "x", scopes: ["read"], expiresInDays: 0 }, 422],
      [{ name: "x", scopes: ["read"], expiresInDays: 366 }, 422],
      [{ name: "x", scopes: ["read"], expiresInDays: 1, extra: 1 }, 400],
    ] as const;
    for (const [body, status] of bad) {
      const res = await api("/api/v1/tokens", { token: alice.token, json: body });
      expect({ body, status: res.status }).toEqual({ body, status });
    }
  });

  it("authorization: no token, another user's token, expired token, wrong scope", async () => {
    const mine = await createToken(alice.token, { name: "mine", scopes: ["read"], expiresInDays: 1 });
    await expectProblem(await api("/api/v1/tokens"), 401, "unauthorized");
    await expectProblem(
      await api("/api/v1/tokens", { json: { name: "x", scopes: ["read"] } }),
      401,
      "unauthorized",
    );
    // Bob neither sees nor revokes Alice's token.
    const bobs = await (await api("/api/v1/tokens", { token: bob.token })).json<{ tokens: TokenJson[] }>();
    expect(bobs.tokens.some((t) => t.id === mine.id)).toBe(false);
    await expectProblem(
      await api(`/api/v1/tokens/${mine.id}`, { method: "DELETE", token: bob.token }),
      404,
      "not_found",
    );
    // A read token can neither list, create nor revoke tokens.
    await expectProblem(await api("/api/v1/tokens", { token: mine.token }), 403, "insufficient_scope");
    await expectProblem(
      await api("/api/v1/tokens", { token: mine.token, json: { name: "x", scopes: ["admin"] } }),
      403,
      "insufficient_scope",
    );
    await expectProblem(
      await api(`/api/v1/tokens/${mine.id}`, { method: "DELETE", token: mine.token }),
      403,
      "insufficient_scope",
    );
    await env.DB.prepare("update api_tokens set expires_at = 1 where id = ?").bind(mine.id).run();
    await expectProblem(await api("/api/v1/me", { token: mine.token }), 401, "token_expired");
  });
});

describe("scopes are enforced on every route", () => {
  it("read, deploy and admin", async () => {
    const project = await createProject(alice.token);
    const ready = await deploy(alice.token, project.id, [await file("index.html", "hi")]);
    const read = await createToken(alice.token, { name: "r", scopes: ["read"], expiresInDays: 1 });
    const dep = await createToken(alice.token, { name: "d", scopes: ["deploy"], expiresInDays: 1 });
    const f = await file("a.txt", "a");
    const manifest = { files: [{ path: f.path, hash: f.hash, size: f.size }] };

    // read: GETs only.
    expect((await api(`/api/v1/projects/${project.id}`, { token: read.token })).status).toBe(200);
    expect((await api(`/api/v1/deployments/${ready.id}`, { token: read.token })).status).toBe(200);
    expect((await api("/api/v1/me", { token: read.token })).status).toBe(200);
    const deployWrites: [string, string, unknown?][] = [
      ["POST", `/api/v1/projects/${project.id}/deployments`, manifest],
      ["POST", `/api/v1/deployments/${ready.id}/promote`],
      ["POST", `/api/v1/projects/${project.id}/rollback`, {}],
      ["POST", `/api/v1/projects/${project.id}/builds`, {}],
      ["POST", `/api/v1/deployments/${ready.id}/cancel`],
      ["POST", `/api/v1/deployments/${ready.id}/finalize`],
      ["PUT", `/api/v1/deployments/${ready.id}/blobs/${f.hash}`],
    ];
    const adminWrites: [string, string, unknown?][] = [
      ["POST", "/api/v1/projects", { name: "nope-nope" }],
      ["PATCH", `/api/v1/projects/${project.id}`, { productionBranch: "x" }],
      ["DELETE", `/api/v1/projects/${project.id}`],
      ["POST", `/api/v1/projects/${project.id}/deploy-hook`],
      ["DELETE", `/api/v1/projects/${project.id}/deploy-hook`],
      ["PUT", `/api/v1/projects/${project.id}/env/production/A`, { value: "1" }],
      ["DELETE", `/api/v1/projects/${project.id}/env/production/A`],
      ["GET", `/api/v1/projects/${project.id}/env`],
      ["GET", "/api/v1/tokens"],
      ["POST", "/api/v1/tokens", { name: "x", scopes: ["read"] }],
    ];
    const call = (token: string, [method, path, json]: [string, string, unknown?]) =>
      api(path, { method, token, ...(json === undefined ? {} : { json }) });
    for (const route of [...deployWrites, ...adminWrites]) {
      const res = await call(read.token, route);
      expect({ route, status: res.status }).toEqual({ route, status: 403 });
    }
    for (const route of adminWrites) {
      const res = await call(dep.token, route);
      expect({ route, status: res.status }).toEqual({ route, status: 403 });
    }
    // deploy: the deployment writes pass the scope check (and then answer as they would for admin).
    const created = await call(dep.token, deployWrites[0] as [string, string, unknown]);
    expect(created.status).toBe(201);
    expect((await call(dep.token, deployWrites[1] as [string, string])).status).toBe(200);
    // deploy includes read.
    expect((await api(`/api/v1/projects/${project.id}`, { token: dep.token })).status).toBe(200);
    // Every token may log itself out.
    expect((await api("/api/v1/auth/logout", { method: "POST", token: read.token })).status).toBe(204);
  });
});
