import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { freeBuildSlots, gitProject, row, startOf, trigger } from "./build-helpers.ts";
import { api, expectProblem, newUser } from "./helpers.ts";

afterEach(freeBuildSlots);

const archiveKey = (projectId: string, seed: string) =>
  `projects/${projectId}/cache/${seed.repeat(64 / seed.length)}.tar.zst`;

async function putArchive(key: string, size: number): Promise<void> {
  await env.STORAGE.put(key, new Uint8Array(size).fill(7), {
    httpMetadata: { contentType: "application/zstd" },
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await env.STORAGE.list({ prefix })).objects.map((o) => o.key).sort();
}

describe("building without cache", () => {
  it("`cache: false` on a trigger marks the deployment and asks the builder to restore nothing", async () => {
    const { token } = await newUser();
    const cached = await trigger(token, (await gitProject(token)).name);
    expect(cached).toMatchObject({ skipCache: false });
    expect((await startOf(cached.id)).cache).toEqual({
      restore: true,
      productionBranch: "main",
      clearedAt: null,
    });
    // Another project: a project runs one build at a time.
    const project = await gitProject(token);
    const fresh = await trigger(token, project.name, { cache: false, branch: "feature" });
    expect(fresh).toMatchObject({ skipCache: true, branch: "feature" });
    expect((await row(fresh.id)).skip_cache).toBe(1);
    expect((await startOf(fresh.id)).cache).toEqual({
      restore: false,
      productionBranch: "main",
      clearedAt: null,
    });
    const shown = await api(`/api/v1/deployments/${fresh.id}`, { token });
    expect((await shown.json<{ deployment: { skipCache: boolean } }>()).deployment.skipCache).toBe(true);

    const res = await api(`/api/v1/projects/${project.name}/builds`, { token, json: { cache: "no" } });
    await expectProblem(res, 400, "bad_request");
  });

  it("a deploy hook takes `?cache=false`", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const created = await api(`/api/v1/projects/${project.name}/deploy-hook`, { method: "POST", token });
    const { hook } = await created.json<{ hook: { secret: string } }>();
    const fired = await api(`/api/v1/hooks/deploy/${hook.secret}?cache=false`, { method: "POST" });
    expect(fired.status).toBe(202);
    const { deployment } = await fired.json<{ deployment: { id: string; skipCache: boolean } }>();
    expect(deployment.skipCache).toBe(true);
    expect((await startOf(deployment.id)).cache.restore).toBe(false);

    // Queued behind the first (one build of a project at a time): the row says how it will build.
    const plain = await api(`/api/v1/hooks/deploy/${hook.secret}?cache=true`, { method: "POST" });
    const again = (await plain.json<{ deployment: { id: string; skipCache: boolean } }>()).deployment;
    expect(again.skipCache).toBe(false);
    expect((await row(again.id)).skip_cache).toBe(0);

    const bad = await api(`/api/v1/hooks/deploy/${hook.secret}?cache=no`, { method: "POST" });
    await expectProblem(bad, 422, "invalid_input");
  });
});

describe("DELETE /api/v1/projects/:project/cache", () => {
  it("deletes the project's archives, records the time, and leaves other projects alone", async () => {
    const { token } = await newUser();
    const mine = await gitProject(token);
    const other = await gitProject((await newUser()).token);
    await putArchive(archiveKey(mine.id, "a"), 1000);
    await putArchive(archiveKey(mine.id, "b"), 234);
    await putArchive(archiveKey(other.id, "a"), 500);
    // Not a cache archive: a deployment's file stays.
    await env.STORAGE.put(`projects/${mine.id}/blobs/${"c".repeat(64)}`, "kept");

    const before = Date.now();
    const res = await api(`/api/v1/projects/${mine.name}/cache`, { method: "DELETE", token });
    expect(res.status).toBe(200);
    const body = await res.json<{ clearedAt: string; archives: { deleted: number; bytes: number } }>();
    expect(body.archives).toEqual({ deleted: 2, bytes: 1234 });
    const clearedAt = Date.parse(body.clearedAt);
    expect(clearedAt).toBeGreaterThanOrEqual(before);

    expect(await keysUnder(`projects/${mine.id}/cache/`)).toEqual([]);
    expect(await keysUnder(`projects/${mine.id}/blobs/`)).toHaveLength(1);
    expect(await keysUnder(`projects/${other.id}/cache/`)).toEqual([archiveKey(other.id, "a")]);

    const project = await api(`/api/v1/projects/${mine.name}`, { token });
    expect((await project.json<{ project: { cacheClearedAt: string } }>()).project.cacheClearedAt).toBe(
      body.clearedAt,
    );
    // Every later build tells the builder to ignore what it kept before.
    const next = await trigger(token, mine.name);
    expect((await startOf(next.id)).cache).toEqual({ restore: true, productionBranch: "main", clearedAt });

    // Clearing an empty cache is not an error.
    const again = await api(`/api/v1/projects/${mine.id}/cache`, { method: "DELETE", token });
    expect(again.status).toBe(200);
    expect((await again.json<{ archives: unknown }>()).archives).toEqual({ deleted: 0, bytes: 0 });
  });

  it("needs a credential, the admin scope and the owner", async () => {
    const owner = await newUser();
    const other = await newUser();
    const project = await gitProject(owner.token);
    await putArchive(archiveKey(project.id, "d"), 10);
    const path = `/api/v1/projects/${project.name}/cache`;
    await expectProblem(await api(path, { method: "DELETE" }), 401, "unauthorized");
    await expectProblem(await api(path, { method: "DELETE", token: "mb_nope" }), 401, "unauthorized");
    await expectProblem(await api(path, { method: "DELETE", token: other.token }), 404, "not_found");
    await expectProblem(
      await api("/api/v1/projects/no-such-project/cache", { method: "DELETE", token: owner.token }),
      404,
      "not_found",
    );
    for (const scopes of [["read"], ["deploy"]]) {
      const res = await api("/api/v1/tokens", { token: owner.token, json: { name: "ci", scopes } });
      const { token } = await res.json<{ token: string }>();
      await expectProblem(await api(path, { method: "DELETE", token }), 403, "insufficient_scope");
    }
    // None of them touched anything.
    expect(await keysUnder(`projects/${project.id}/cache/`)).toHaveLength(1);
    const shown = await api(`/api/v1/projects/${project.name}`, { token: owner.token });
    expect((await shown.json<{ project: { cacheClearedAt: null } }>()).project.cacheClearedAt).toBeNull();
  });
});
