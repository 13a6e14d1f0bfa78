import { env } from "cloudflare:workers";
import { storageKeys } from "@miaobu/shared";
import { afterEach, describe, expect, it } from "vitest";
import {
  callback,
  cancelsOf,
  coordinator,
  freeBuildSlots,
  gitProject,
  report,
  row,
  startOf,
  startsOf,
  trigger,
} from "./build-helpers.ts";
import { api, createProject, expectProblem, file, newUser, putBlob } from "./helpers.ts";

afterEach(freeBuildSlots);

describe("triggering a build", () => {
  it("queues a deployment and starts it at the builder with a deployment-scoped token", async () => {
    const { token } = await newUser();
    const project = await gitProject(token, undefined, { rootDir: "apps/web", nodeVersion: "22" });
    const d = await trigger(token, project.name, { commit: "0123456789abcdef0123456789abcdef01234567" });
    expect(d).toMatchObject({
      status: "queued",
      source: "cli",
      branch: "main",
      environment: "production",
      commitSha: "0123456789abcdef0123456789abcdef01234567",
    });
    const request = await startOf(d.id);
    expect(request).toMatchObject({
      deploymentId: d.id,
      project: { id: project.id, name: project.name },
      source: {
        url: "git://127.0.0.1:9418/site.git",
        branch: "main",
        commit: "0123456789abcdef0123456789abcdef01234567",
        rootDir: "apps/web",
      },
      settings: { nodeVersion: "22", timeoutSeconds: 1200, framework: null },
      env: {},
      secretEnvKeys: [],
      callback: { apiUrl: "http://127.0.0.1:8787" },
      limits: { maxFiles: 1500, maxFileBytes: 65536 },
    });
    expect(request.callback.token).toMatch(/^mbd_[0-9a-z]{40}$/);
    const stored = await row(d.id);
    expect(stored.started_at).not.toBeNull();
    expect(stored.callback_token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(coordinator(project.id)).toBeDefined();
  });

  it("refuses a project without a git URL with 409", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const res = await api(`/api/v1/projects/${project.name}/builds`, { token, json: {} });
    await expectProblem(res, 409, "conflict");
  });

  it("answers 404 for someone else's project and 401 without a token", async () => {
    const owner = await newUser();
    const other = await newUser();
    const project = await gitProject(owner.token);
    await expectProblem(
      await api(`/api/v1/projects/${project.name}/builds`, { token: other.token, json: {} }),
      404,
      "not_found",
    );
    await expectProblem(
      await api(`/api/v1/projects/${project.name}/builds`, { json: {} }),
      401,
      "unauthorized",
    );
  });

  it("validates branch and commit", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const res = await api(`/api/v1/projects/${project.name}/builds`, { token, json: { commit: "xyz" } });
    await expectProblem(res, 422, "invalid_input");
    const extra = await api(`/api/v1/projects/${project.name}/builds`, { token, json: { nope: 1 } });
    await expectProblem(extra, 400, "bad_request");
  });
});

describe("deploy hooks", () => {
  it("creates a secret shown once, triggers builds with it, and rotation kills the old one", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const created = await api(`/api/v1/projects/${project.name}/deploy-hook`, { method: "POST", token });
    expect(created.status).toBe(201);
    const { hook, project: after } = await created.json<{
      hook: { secret: string; url: string };
      project: { hasDeployHook: boolean };
    }>();
    expect(hook.secret).toMatch(/^mbh_[0-9a-z]{40}$/);
    expect(hook.url).toBe(`http://localhost/api/v1/hooks/deploy/${hook.secret}`);
    expect(after.hasDeployHook).toBe(true);

    const fired = await api(`/api/v1/hooks/deploy/${hook.secret}?branch=preview`, { method: "POST" });
    expect(fired.status).toBe(202);
    const { deployment } = await fired.json<{ deployment: Record<string, unknown> }>();
    expect(deployment).toMatchObject({ status: "queued", branch: "preview", environment: "preview" });
    expect(Object.keys(deployment).sort()).toEqual(
      ["branch", "createdAt", "environment", "id", "project", "shortId", "skipCache", "status", "url"].sort(),
    );
    expect((await row(String(deployment.id))).status).toBe("queued");
    const listed = await api(`/api/v1/deployments/${String(deployment.id)}`, { token });
    expect((await listed.json<{ deployment: { source: string } }>()).deployment.source).toBe("hook");

    const rotated = await api(`/api/v1/projects/${project.name}/deploy-hook`, { method: "POST", token });
    const next = (await rotated.json<{ hook: { secret: string } }>()).hook.secret;
    expect(next).not.toBe(hook.secret);
    await expectProblem(
      await api(`/api/v1/hooks/deploy/${hook.secret}`, { method: "POST" }),
      404,
      "not_found",
    );
    expect((await api(`/api/v1/hooks/deploy/${next}`, { method: "POST" })).status).toBe(202);

    const removed = await api(`/api/v1/projects/${project.name}/deploy-hook`, { method: "DELETE", token });
    expect(removed.status).toBe(204);
    await expectProblem(await api(`/api/v1/hooks/deploy/${next}`, { method: "POST" }), 404, "not_found");
  });

  it("answers 404 for unknown secrets and someone else's project", async () => {
    const owner = await newUser();
    const other = await newUser();
    const project = await gitProject(owner.token);
    await expectProblem(await api("/api/v1/hooks/deploy/mbh_nope", { method: "POST" }), 404, "not_found");
    await expectProblem(await api("/api/v1/hooks/deploy/x", { method: "POST" }), 404, "not_found");
    const res = await api(`/api/v1/projects/${project.name}/deploy-hook`, {
      method: "POST",
      token: other.token,
    });
    await expectProblem(res, 404, "not_found");
  });
});

describe("callbacks from the builder", () => {
  it("records each status with its time, heartbeats and metadata", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const d = await trigger(token, project.name);
    const { callback: cb } = await startOf(d.id);
    expect(await report(cb.token, d.id, { status: "cloning", at: Date.now() })).toEqual({
      status: "cloning",
    });
    await report(cb.token, d.id, {
      status: "installing",
      commitSha: "89abcdef0123456789abcdef0123456789abcdef",
      commitMessage: "Add page",
      framework: "vite",
    });
    // A late, repeated or backward report changes nothing but the heartbeat.
    expect(await report(cb.token, d.id, { status: "cloning" })).toEqual({ status: "installing" });
    expect(await report(cb.token, d.id, { status: "installing", heartbeat: true })).toEqual({
      status: "installing",
    });
    await report(cb.token, d.id, { status: "building" });
    const stored = await row(d.id);
    expect(stored).toMatchObject({
      status: "building",
      commit_sha: "89abcdef0123456789abcdef0123456789abcdef",
      commit_message: "Add page",
      framework: "vite",
    });
    const phases = JSON.parse(stored.phases ?? "[]") as { name: string; endedAt: number | null }[];
    expect(phases.map((p) => p.name)).toEqual(["queued", "cloning", "installing", "building"]);
    expect(phases.map((p) => p.endedAt === null)).toEqual([false, false, false, true]);

    const res = await api(`/api/v1/deployments/${d.id}`, { token });
    const { deployment } = await res.json<{ deployment: Record<string, unknown> }>();
    expect(deployment).toMatchObject({ status: "building", framework: "vite" });
    expect(Array.isArray(deployment.phases)).toBe(true);
  });

  it("refuses API tokens, other deployments' tokens, and tokens of finished deployments", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const a = await trigger(token, project.name, { branch: "a" });
    const { callback: cbA } = await startOf(a.id);
    const b = await trigger(token, project.name, { branch: "b" });

    await expectProblem(await callback(token, `${a.id}/events`, { status: "cloning" }), 401, "unauthorized");
    await expectProblem(
      await callback(cbA.token, `${b.id}/events`, { status: "cloning" }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await callback("mbd_x", `${a.id}/events`, { status: "cloning" }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await api(`/api/v1/deployments/${b.id}/finalize`, { method: "POST", token: cbA.token }),
      401,
      "unauthorized",
    );
    // The callback token opens nothing else of the owner's.
    await expectProblem(await api(`/api/v1/deployments/${a.id}`, { token: cbA.token }), 401, "unauthorized");
    await expectProblem(await api("/api/v1/projects", { token: cbA.token }), 401, "unauthorized");

    await report(cbA.token, a.id, { status: "failed", error: "npm ERR! missing script: build" });
    expect(await row(a.id)).toMatchObject({
      status: "failed",
      error_message: "npm ERR! missing script: build",
    });
    const late = await callback(cbA.token, `${a.id}/events`, { status: "building" });
    expect((await expectProblem(late, 401, "unauthorized")).detail).toMatch(/failed/);
    const logs = await callback(cbA.token, `${a.id}/logs`, { seq: 9, lines: [] });
    await expectProblem(logs, 401, "unauthorized");
  });

  it("takes the manifest, uploads and finalize with the callback token, once", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const d = await trigger(token, project.name);
    const { callback: cb } = await startOf(d.id);
    const index = await file("index.html", "<h1>from git</h1>");
    const files = [{ path: index.path, hash: index.hash, size: index.size }];
    const first = await callback(cb.token, `${d.id}/manifest`, { files });
    expect(first.status).toBe(200);
    const body = await first.json<{ missing: string[]; limits: { maxFiles: number } }>();
    expect(body).toMatchObject({ missing: [index.hash], limits: { maxFiles: 1500 } });
    expect(await row(d.id)).toMatchObject({ status: "uploading" });
    // A retry with the same list answers the same; a different list is refused.
    expect((await callback(cb.token, `${d.id}/manifest`, { files })).status).toBe(200);
    const other = await file("other.html", "x");
    const changed = await callback(cb.token, `${d.id}/manifest`, {
      files: [{ path: other.path, hash: other.hash, size: other.size }],
    });
    await expectProblem(changed, 409, "conflict");
    await expectProblem(await callback(cb.token, `${d.id}/manifest`, { files: [] }), 422, "invalid_input");

    expect((await putBlob(cb.token, d.id, index.hash, index.bytes)).status).toBe(201);
    // Compression finished while the file was uploading: the same list with a variant added is taken, and
    // only the variant is missing now; changing or dropping a variant once listed is refused.
    const gz = await file("index.html.gz", "gzip bytes of index.html");
    const variants = { gzip: { hash: gz.hash, size: gz.size } };
    const withVariant = await callback(cb.token, `${d.id}/manifest`, { files: [{ ...files[0], variants }] });
    expect(withVariant.status).toBe(200);
    expect((await withVariant.json<{ missing: string[] }>()).missing).toEqual([gz.hash]);
    await expectProblem(await callback(cb.token, `${d.id}/manifest`, { files }), 409, "conflict");
    const bigger = { gzip: { hash: other.hash, size: other.size } };
    const swapped = await callback(cb.token, `${d.id}/manifest`, {
      files: [{ ...files[0], variants: bigger }],
    });
    await expectProblem(swapped, 409, "conflict");
    const early = await api(`/api/v1/deployments/${d.id}/finalize`, { method: "POST", token: cb.token });
    await expectProblem(early, 422, "missing_blobs");
    expect((await putBlob(cb.token, d.id, gz.hash, gz.bytes)).status).toBe(201);
    const done = await api(`/api/v1/deployments/${d.id}/finalize`, { method: "POST", token: cb.token });
    expect(done.status).toBe(200);
    const ready = await row(d.id);
    expect(ready.status).toBe("ready");
    expect(ready.finished_at).not.toBeNull();
    const phases = JSON.parse(ready.phases ?? "[]") as { name: string }[];
    expect(phases.map((p) => p.name)).toEqual(["queued", "uploading", "ready"]);
    // Final now: the token is dead, even for finalize.
    const again = await api(`/api/v1/deployments/${d.id}/finalize`, { method: "POST", token: cb.token });
    await expectProblem(again, 401, "unauthorized");
  });
});

describe("blobs the builder writes to the bucket itself", () => {
  it("records only files of the manifest that are stored with their declared size", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const d = await trigger(token, project.name);
    const { callback: cb } = await startOf(d.id);
    const index = await file("index.html", "<h1>direct</h1>");
    const app = await file("app.js", "console.log('direct')");
    const files = [index, app].map((f) => ({ path: f.path, hash: f.hash, size: f.size }));
    const answer = await callback(cb.token, `${d.id}/manifest`, { files });
    // The tests run on R2, which only the Workers can write: the builder is told to go through the API.
    expect(await answer.json()).toMatchObject({ directUpload: false });

    await env.STORAGE.put(storageKeys.blob(project.id, index.hash), index.bytes);
    await env.STORAGE.put(storageKeys.blob(project.id, app.hash), "truncated");
    const registered = await callback(cb.token, `${d.id}/blobs`, { hashes: [index.hash, app.hash] });
    expect(registered.status).toBe(200);
    expect(await registered.json()).toEqual({ recorded: [index.hash], missing: [app.hash] });

    const stranger = await file("other.txt", "not in the manifest");
    await expectProblem(
      await callback(cb.token, `${d.id}/blobs`, { hashes: [stranger.hash] }),
      422,
      "invalid_input",
    );
    const early = await api(`/api/v1/deployments/${d.id}/finalize`, { method: "POST", token: cb.token });
    expect(((await expectProblem(early, 422, "missing_blobs")).missing as { hash: string }[])[0]?.hash).toBe(
      app.hash,
    );

    await env.STORAGE.put(storageKeys.blob(project.id, app.hash), app.bytes);
    expect(await (await callback(cb.token, `${d.id}/blobs`, { hashes: [app.hash] })).json()).toEqual({
      recorded: [app.hash],
      missing: [],
    });
    const done = await api(`/api/v1/deployments/${d.id}/finalize`, { method: "POST", token: cb.token });
    expect(done.status).toBe(200);
    await expectProblem(
      await callback(cb.token, `${d.id}/blobs`, { hashes: [app.hash] }),
      401,
      "unauthorized",
    );
  });
});

describe("canceling", () => {
  it("cancels a queued build at once and a running one at the builder", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const running = await trigger(token, project.name, { branch: "one" });
    const queued = await trigger(token, project.name, { branch: "two" });
    const third = await trigger(token, project.name, { branch: "three" });

    const q = await api(`/api/v1/deployments/${queued.id}/cancel`, { method: "POST", token });
    expect(q.status).toBe(200);
    expect((await q.json<{ deployment: { status: string } }>()).deployment.status).toBe("canceled");
    expect(await cancelsOf(queued.id)).toBe(0);
    expect(await startsOf(queued.id)).toHaveLength(0);

    const r = await api(`/api/v1/deployments/${running.id}/cancel`, { method: "POST", token });
    expect(r.status).toBe(200);
    expect(await cancelsOf(running.id)).toBe(1);
    expect(await row(running.id)).toMatchObject({ status: "canceled" });
    expect(await startsOf(third.id)).toHaveLength(1);

    await expectProblem(
      await api(`/api/v1/deployments/${running.id}/cancel`, { method: "POST", token }),
      409,
      "conflict",
    );
    const stranger = await newUser();
    const res = await api(`/api/v1/deployments/${third.id}/cancel`, {
      method: "POST",
      token: stranger.token,
    });
    await expectProblem(res, 404, "not_found");
    expect(coordinator(project.id)).toBeDefined();
  });
});
