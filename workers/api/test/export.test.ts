import { env } from "cloudflare:workers";
import { storageKeys } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { gitProject, trigger } from "./build-helpers.ts";
import {
  api,
  createDeployment,
  createProject,
  type DeploymentJson,
  deploy,
  expectProblem,
  file,
  newUser,
  type TestFile,
} from "./helpers.ts";

interface FilesJson {
  deployment: DeploymentJson;
  files: { path: string; hash: string; size: number }[];
}

const filesOf = (token: string, id: string) => api(`/api/v1/deployments/${id}/files`, { token });
const blobOf = (token: string, id: string, hash: string, headers: Record<string, string> = {}) =>
  api(`/api/v1/deployments/${id}/files/${hash}`, { token, headers });

/** A deployed site with nested paths, a binary file and one content used by two paths. */
async function site(token: string) {
  const project = await createProject(token);
  const binary = new Uint8Array(256).map((_, i) => 255 - i);
  const files: TestFile[] = [
    await file("index.html", "<h1>export me</h1>"),
    await file("docs/guide/index.html", "<p>same bytes</p>"),
    await file("docs/copy.html", "<p>same bytes</p>"),
    await file("assets/logo.bin", binary),
  ];
  const deployment = await deploy(token, project.name, files);
  return { project, deployment, files };
}

function markDeleted(id: string, at = Date.UTC(2026, 10, 1)) {
  return env.DB.prepare("update deployments set status = 'deleted', deleted_at = ? where id = ?")
    .bind(at, id)
    .run();
}

describe("listing a deployment's files", () => {
  it("answers every path of the manifest with its hash and size, sorted, and the deployment", async () => {
    const { token } = await newUser();
    const { project, deployment, files } = await site(token);
    const res = await filesOf(token, deployment.id);
    expect(res.status).toBe(200);
    const body = await res.json<FilesJson>();
    expect(body.deployment).toMatchObject({
      id: deployment.id,
      shortId: deployment.shortId,
      project: project.name,
      status: "ready",
      url: deployment.url,
    });
    const expected = files
      .map(({ path, hash, size }) => ({ path, hash, size }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(body.files).toEqual(expected);
  });

  it("lists an upload in progress from its manifest; the missing bytes answer 404 with a reason", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const f = await file("index.html", `<p>${Math.random()}</p>`);
    const { deployment } = await createDeployment(token, project.name, [f]);
    const body = await (await filesOf(token, deployment.id)).json<FilesJson>();
    expect(body.files).toEqual([{ path: "index.html", hash: f.hash, size: f.size }]);
    const problem = await expectProblem(await blobOf(token, deployment.id, f.hash), 404, "not_found");
    expect(problem.detail).toMatch(/missing from storage/);
  });

  it("answers 409 for a build that has no files yet", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const build = await trigger(token, project.name);
    const problem = await expectProblem(await filesOf(token, build.id), 409, "conflict");
    expect(problem.detail).toMatch(/has no files yet/);
  });
});

describe("downloading a file", () => {
  it("streams the exact bytes with an immutable cache and the hash as ETag", async () => {
    const { token } = await newUser();
    const { deployment, files } = await site(token);
    for (const f of files) {
      const res = await blobOf(token, deployment.id, f.hash);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/octet-stream");
      expect(res.headers.get("Content-Length")).toBe(String(f.size));
      expect(res.headers.get("ETag")).toBe(`"${f.hash}"`);
      expect(res.headers.get("Cache-Control")).toBe("private, max-age=31536000, immutable");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(f.bytes);
    }
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const { token } = await newUser();
    const { deployment, files } = await site(token);
    const hash = files[0]?.hash ?? "";
    const res = await blobOf(token, deployment.id, hash, { "If-None-Match": `W/"x", "${hash}"` });
    expect(res.status).toBe(304);
    expect(res.headers.get("ETag")).toBe(`"${hash}"`);
    expect(await res.text()).toBe("");
  });

  it("answers 404 for a hash the manifest does not name, even one the project stores", async () => {
    const { token } = await newUser();
    const { project, deployment } = await site(token);
    const other = await file("other.html", `<p>${Math.random()}</p>`);
    await deploy(token, project.name, [other]);
    expect(await env.STORAGE.head(storageKeys.blob(project.id, other.hash))).not.toBeNull();
    for (const hash of [other.hash, "0".repeat(64), "not-a-hash", other.hash.toUpperCase()]) {
      await expectProblem(await blobOf(token, deployment.id, hash), 404, "not_found");
    }
  });

  it("answers 404 with a clear detail when storage has lost the bytes", async () => {
    const { token } = await newUser();
    const { project, deployment, files } = await site(token);
    const lost = files[0]?.hash ?? "";
    await env.STORAGE.delete(storageKeys.blob(project.id, lost));
    const problem = await expectProblem(await blobOf(token, deployment.id, lost), 404, "not_found");
    expect(problem.detail).toContain(lost);
    expect(problem.detail).toMatch(/missing from storage/);
  });
});

describe("a deployment deleted by retention", () => {
  it("answers 410 naming the retention policy on both routes", async () => {
    const { token } = await newUser();
    const { deployment, files } = await site(token);
    // Read once so the isolate caches its manifest: the status must still win.
    expect((await blobOf(token, deployment.id, files[0]?.hash ?? "")).status).toBe(200);
    await markDeleted(deployment.id);
    for (const res of [
      await filesOf(token, deployment.id),
      await blobOf(token, deployment.id, files[0]?.hash ?? ""),
    ]) {
      const problem = await expectProblem(res, 410, "gone");
      expect(problem.detail).toMatch(/deleted by the project's retention policy on 2026-11-01/);
    }
  });

  it("answers 410, not 404, once its manifest is gone too", async () => {
    const { token } = await newUser();
    const { project, deployment } = await site(token);
    await markDeleted(deployment.id);
    await env.STORAGE.delete([storageKeys.manifest(project.id, deployment.id)]);
    await expectProblem(await filesOf(token, deployment.id), 410, "gone");
  });
});

describe("authorization", () => {
  it("answers another user 404 on both routes, exactly like a deployment that does not exist", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const { deployment, files } = await site(alice.token);
    const hash = files[0]?.hash ?? "";
    const missing = await expectProblem(await filesOf(bob.token, "dpl_doesnotexist"), 404, "not_found");
    const theirs = await expectProblem(await filesOf(bob.token, deployment.id), 404, "not_found");
    expect(theirs.detail).toBe(missing.detail);
    await expectProblem(await blobOf(bob.token, deployment.id, hash), 404, "not_found");
  });

  it("needs a credential", async () => {
    const { token } = await newUser();
    const { deployment, files } = await site(token);
    await expectProblem(await filesOf("", deployment.id), 401, "unauthorized");
    await expectProblem(await blobOf("", deployment.id, files[0]?.hash ?? ""), 401, "unauthorized");
  });

  it("is a read: a read-only token may export", async () => {
    const { token } = await newUser();
    const { deployment, files } = await site(token);
    const created = await api("/api/v1/tokens", { token, json: { name: "ro", scopes: ["read"] } });
    expect(created.status).toBe(201);
    const readOnly = (await created.json<{ token: string }>()).token;
    expect((await filesOf(readOnly, deployment.id)).status).toBe(200);
    const res = await blobOf(readOnly, deployment.id, files[0]?.hash ?? "");
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});
