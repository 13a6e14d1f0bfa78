import { env } from "cloudflare:workers";
import type { Manifest } from "@miaobu/shared";
import { describe, expect, it, vi } from "vitest";
import {
  api,
  createDeployment,
  createProject,
  type DeploymentJson,
  deploy,
  expectProblem,
  file,
  newUser,
  putBlob,
  routesOf,
  sha256,
} from "./helpers.ts";

const finalize = (token: string, id: string) =>
  api(`/api/v1/deployments/${id}/finalize`, { method: "POST", token });

describe("creating a deployment", () => {
  it("stores the manifest with content types and answers the missing hashes once each", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const index = await file("index.html", "<h1>hello</h1>");
    const copy = await file("copy/index.html", "<h1>hello</h1>");
    const css = await file("assets/site.css", "body{}");
    const created = await createDeployment(token, project.name, [index, copy, css], {
      commitSha: "0123456789abcdef0123456789abcdef01234567",
      commitMessage: "first",
    });
    expect(created.missing).toEqual([index.hash, css.hash]);
    expect(created.limits).toEqual({
      maxFileBytes: 65536,
      maxFiles: 1500,
      maxBatchBytes: 50 * 1024 * 1024,
      maxBatchFiles: 1000,
    });
    const d = created.deployment;
    expect(d).toMatchObject({
      projectId: project.id,
      project: project.name,
      status: "uploading",
      environment: "production",
      branch: "main",
      commitSha: "0123456789abcdef0123456789abcdef01234567",
      commitMessage: "first",
      source: "cli",
      fileCount: 3,
      totalBytes: index.size * 2 + css.size,
      aliases: [],
      isProduction: false,
      readyAt: null,
      errorMessage: null,
    });
    expect(d.id).toMatch(/^dpl_/);
    expect(d.shortId).toMatch(/^[0-9a-hjkmnp-tv-z]{8}$/);
    expect(d.url).toBe(`http://${d.shortId}--${project.name}.localhost:8788`);

    const stored = await env.STORAGE.get(`projects/${project.id}/deployments/${d.id}/manifest.json`);
    const manifest = await stored?.json<Manifest>();
    expect(manifest).toEqual({
      version: 1,
      deploymentId: d.id,
      files: {
        "/index.html": { hash: index.hash, size: index.size, contentType: "text/html; charset=utf-8" },
        "/copy/index.html": { hash: index.hash, size: index.size, contentType: "text/html; charset=utf-8" },
        "/assets/site.css": { hash: css.hash, size: css.size, contentType: "text/css; charset=utf-8" },
      },
    });
  });

  it("marks other branches as preview", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const created = await createDeployment(token, project.id, [await file("a.txt", "a")], {
      branch: "feat/x",
    });
    expect(created.deployment).toMatchObject({ environment: "preview", branch: "feat/x" });
  });

  it("refuses unsafe paths with one error per bad path", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const hash = await sha256("x");
    const paths = ["ok.txt", "../x", "/abs", "a\\b", "a\u0000b", "a/./b", "a//b", "C:/x", "p".repeat(1025)];
    const res = await api(`/api/v1/projects/${project.id}/deployments`, {
      token,
      json: { files: paths.map((path) => ({ path, hash, size: 1 })) },
    });
    const body = await expectProblem(res, 422, "invalid_input");
    expect(body.errors?.map((e) => e.field)).toEqual(paths.slice(1).map((_, i) => `files[${i + 1}].path`));
    expect(body.errors?.[0]?.message).toContain("..");
    expect(body.errors?.[1]?.message).toContain("absolute");
    expect(body.errors?.[2]?.message).toContain("backslash");
    expect(body.errors?.[3]?.message).toContain("control character");
    const count = await env.DB.prepare("select count(*) as n from deployments where project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it("refuses duplicate paths", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const hash = await sha256("x");
    const res = await api(`/api/v1/projects/${project.id}/deployments`, {
      token,
      json: {
        files: [
          { path: "a.txt", hash, size: 1 },
          { path: "b.txt", hash, size: 1 },
          { path: "a.txt", hash, size: 1 },
        ],
      },
    });
    const body = await expectProblem(res, 422, "invalid_input");
    expect(body.errors).toEqual([{ field: "files[2].path", message: "duplicate of files[0].path (/a.txt)" }]);
  });

  it("refuses one hash declared with two sizes", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const hash = await sha256("x");
    const res = await api(`/api/v1/projects/${project.id}/deployments`, {
      token,
      json: {
        files: [
          { path: "a.txt", hash, size: 1 },
          { path: "b.txt", hash, size: 2 },
        ],
      },
    });
    const body = await expectProblem(res, 422, "invalid_input");
    expect(body.errors).toEqual([
      { field: "files[1].size", message: "another file with the same hash has size 1" },
    ]);
  });

  it("answers 413 past the file count or the file size", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const hash = await sha256("x");
    const many = Array.from({ length: 1501 }, (_, i) => ({ path: `f${i}.txt`, hash, size: 1 }));
    const tooMany = await api(`/api/v1/projects/${project.id}/deployments`, { token, json: { files: many } });
    expect((await expectProblem(tooMany, 413, "payload_too_large")).detail).toContain("1500");
    const big = await api(`/api/v1/projects/${project.id}/deployments`, {
      token,
      json: { files: [{ path: "big.bin", hash, size: 65537 }] },
    });
    const body = await expectProblem(big, 413, "payload_too_large");
    expect(body.errors).toEqual([{ field: "files[0].size", message: "the file is larger than 65536 bytes" }]);
  });

  it("refuses bad hashes, bad sizes, unknown fields, an over-long commit message and an empty list", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const url = `/api/v1/projects/${project.id}/deployments`;
    const hash = await sha256("x");
    const badHash = await api(url, { token, json: { files: [{ path: "a", hash: "ABC", size: 1 }] } });
    expect((await expectProblem(badHash, 422, "invalid_input")).errors?.[0]?.field).toBe("files[0].hash");
    const badSize = await api(url, { token, json: { files: [{ path: "a", hash, size: "1" }] } });
    await expectProblem(badSize, 400, "bad_request");
    const unknown = await api(url, { token, json: { files: [{ path: "a", hash, size: 1, mode: 1 }] } });
    expect((await expectProblem(unknown, 400, "bad_request")).errors).toEqual([
      { field: "files[0].mode", message: "unknown field" },
    ]);
    const message = await api(url, { token, json: { commitMessage: "m".repeat(4097), files: [] } });
    expect((await expectProblem(message, 422, "invalid_input")).errors?.[0]?.field).toBe("commitMessage");
    await expectProblem(await api(url, { token, json: { files: [] } }), 422, "invalid_input");
    await expectProblem(await api(url, { token, json: { branch: "", files: [] } }), 422, "invalid_input");
    const text = await api(url, { token, body: "files", headers: { "Content-Type": "text/plain" } });
    await expectProblem(text, 415, "unsupported_media_type");
  });

  it("answers 413 for a JSON body past the manifest limit", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const res = await api(`/api/v1/projects/${project.id}/deployments`, {
      token,
      body: JSON.stringify({ files: [], commitMessage: "x".repeat(9 * 1024 * 1024) }),
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(res, 413, "payload_too_large");
  });

  it("finds missing hashes across more than one query chunk", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const files = await Promise.all(Array.from({ length: 1200 }, (_, i) => file(`f/${i}.txt`, `file ${i}`)));
    const known = files.filter((_, i) => i % 3 === 0);
    await env.DB.batch(
      known.map((f) =>
        env.DB.prepare("insert into blobs (project_id, hash, size, created_at) values (?, ?, ?, ?)").bind(
          project.id,
          f.hash,
          f.size,
          Date.now(),
        ),
      ),
    );
    const created = await createDeployment(token, project.id, files);
    const expected = files.filter((_, i) => i % 3 !== 0).map((f) => f.hash);
    expect(created.missing).toEqual(expected);
  });
});

describe("uploading and finalizing", () => {
  it("uploads single blobs, finalizes, stores rules files and writes the routes", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const index = await file("index.html", "<h1>hello</h1>");
    const headers = await file("_headers", "/*\n  X-Frame-Options: DENY\n");
    const redirects = await file("_redirects", "/old /new 301\n");
    const created = await createDeployment(token, project.id, [index, headers, redirects]);
    const id = created.deployment.id;
    for (const f of [index, headers, redirects]) {
      const res = await putBlob(token, id, f.hash, f.bytes);
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ hash: f.hash, size: f.size });
    }
    const stored = await env.STORAGE.get(`projects/${project.id}/blobs/${index.hash}`);
    expect(await stored?.text()).toBe("<h1>hello</h1>");

    const res = await finalize(token, id);
    expect(res.status).toBe(200);
    const { deployment } = await res.json<{ deployment: DeploymentJson }>();
    const base = `${project.name}.localhost`;
    expect(deployment).toMatchObject({ status: "ready", isProduction: true });
    expect(deployment.aliases).toEqual([`http://${base}:8788`, `http://main--${base}:8788`]);
    expect(Date.parse(deployment.readyAt ?? "")).toBeGreaterThan(Date.now() - 60_000);

    const prefix = `projects/${project.id}/deployments/${id}`;
    expect(await (await env.STORAGE.get(`${prefix}/_headers`))?.text()).toBe("/*\n  X-Frame-Options: DENY\n");
    expect(await (await env.STORAGE.get(`${prefix}/_redirects`))?.text()).toBe("/old /new 301\n");

    expect(await routesOf(project.id)).toEqual({
      [base]: { deploymentId: id, kind: "production" },
      [`main--${base}`]: { deploymentId: id, kind: "branch" },
      [`${deployment.shortId}--${base}`]: { deploymentId: id, kind: "deployment" },
    });
    const branchRow = await env.DB.prepare("select branch from routes where hostname = ?")
      .bind(`main--${base}`)
      .first<{ branch: string }>();
    expect(branchRow?.branch).toBe("main");
    const projectRow = await env.DB.prepare("select production_deployment_id from projects where id = ?")
      .bind(project.id)
      .first<{ production_deployment_id: string }>();
    expect(projectRow?.production_deployment_id).toBe(id);
    const deploymentRow = await env.DB.prepare("select promoted_at, status from deployments where id = ?")
      .bind(id)
      .first<{ promoted_at: number | null; status: string }>();
    expect(deploymentRow).toMatchObject({ status: "ready" });
    expect(deploymentRow?.promoted_at).not.toBeNull();

    // Finalizing again is harmless and answers the same deployment.
    const again = await finalize(token, id);
    expect(again.status).toBe(200);
    expect((await again.json<{ deployment: DeploymentJson }>()).deployment.status).toBe("ready");
  });

  it("a preview deployment moves only its branch alias, with a slugified branch", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const prod = await deploy(token, project.id, [await file("index.html", "v1")]);
    const preview = await deploy(token, project.id, [await file("index.html", "v2")], {
      branch: "Feature/Login",
    });
    const base = `${project.name}.localhost`;
    expect(preview).toMatchObject({ environment: "preview", isProduction: false });
    expect(preview.aliases).toEqual([`http://feature-login--${base}:8788`]);
    const routes = await routesOf(project.id);
    expect(routes[base]?.deploymentId).toBe(prod.id);
    expect(routes[`feature-login--${base}`]?.deploymentId).toBe(preview.id);
  });

  it("an older deployment finalized late does not take the aliases from a newer one", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const older = await createDeployment(token, project.id, [await file("a.txt", "old")]);
    const newer = await deploy(token, project.id, [await file("a.txt", "new")]);
    for (const hash of older.missing) {
      expect((await putBlob(token, older.deployment.id, hash, new TextEncoder().encode("old"))).status).toBe(
        201,
      );
    }
    const res = await finalize(token, older.deployment.id);
    expect(res.status).toBe(200);
    const late = (await res.json<{ deployment: DeploymentJson }>()).deployment;
    expect(late).toMatchObject({ status: "ready", isProduction: false, aliases: [] });

    const base = `${project.name}.localhost`;
    const routes = await routesOf(project.id);
    expect(routes[base]?.deploymentId).toBe(newer.id);
    expect(routes[`main--${base}`]?.deploymentId).toBe(newer.id);
    expect(routes[`${late.shortId}--${base}`]?.deploymentId).toBe(late.id);
    const row = await env.DB.prepare("select promoted_at from deployments where id = ?")
      .bind(late.id)
      .first<{ promoted_at: number | null }>();
    expect(row?.promoted_at).toBeNull();
    // It can still be made production on purpose.
    const promoted = await api(`/api/v1/deployments/${late.id}/promote`, { method: "POST", token });
    expect(promoted.status).toBe(200);
    expect((await routesOf(project.id))[base]?.deploymentId).toBe(late.id);
  });

  it("uploads a multipart batch", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const files = [
      await file("a.txt", "aaa"),
      await file("b.txt", "bbb"),
      await file("c.bin", new Uint8Array([0, 1, 2])),
    ];
    const created = await createDeployment(token, project.id, files);
    const form = new FormData();
    for (const f of files) form.append(f.hash, new Blob([f.bytes]), f.path);
    const res = await api(`/api/v1/deployments/${created.deployment.id}/blobs`, { token, body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ uploaded: files.map((f) => f.hash) });
    for (const f of files) {
      const object = await env.STORAGE.get(`projects/${project.id}/blobs/${f.hash}`);
      expect(new Uint8Array(await (object as R2ObjectBody).arrayBuffer())).toEqual(f.bytes);
    }
    const rows = await env.DB.prepare("select count(*) as n from blobs where project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(3);
    expect((await finalize(token, created.deployment.id)).status).toBe(200);
  });

  it("refuses a batch with a wrong hash, a foreign hash, too many parts or the wrong type, storing nothing", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const a = await file("a.txt", "aaa");
    const b = await file("b.txt", "bbb");
    const created = await createDeployment(token, project.id, [a, b]);
    const url = `/api/v1/deployments/${created.deployment.id}/blobs`;

    const mismatch = new FormData();
    mismatch.append(a.hash, new Blob([a.bytes]));
    mismatch.append(b.hash, new Blob([a.bytes]));
    const body = await expectProblem(await api(url, { token, body: mismatch }), 422, "hash_mismatch");
    expect(body.errors?.[0]?.field).toBe(b.hash);
    expect((await env.STORAGE.list({ prefix: `projects/${project.id}/blobs/` })).objects).toEqual([]);

    const foreign = new FormData();
    const other = await file("z", "zzz");
    foreign.append(other.hash, new Blob([other.bytes]));
    await expectProblem(await api(url, { token, body: foreign }), 422, "invalid_input");

    const tooMany = new FormData();
    for (let i = 0; i < 1001; i++) tooMany.append(a.hash, new Blob([a.bytes]));
    await expectProblem(await api(url, { token, body: tooMany }), 413, "payload_too_large");

    await expectProblem(await api(url, { token, json: { x: 1 } }), 415, "unsupported_media_type");
  });

  it("refuses single uploads that mismatch, are not in the manifest, are too big or have the wrong type", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const big = await file("big.bin", new Uint8Array(65536).fill(7));
    const small = await file("small.txt", "small");
    const created = await createDeployment(token, project.id, [big, small]);
    const id = created.deployment.id;

    const impostor = await file("x", "SMALL");
    const mismatch = await expectProblem(
      await putBlob(token, id, small.hash, impostor.bytes),
      422,
      "hash_mismatch",
    );
    expect(mismatch.detail).toContain(impostor.hash);

    const other = await file("other", "other");
    const foreign = await expectProblem(
      await putBlob(token, id, other.hash, other.bytes),
      422,
      "invalid_input",
    );
    expect(foreign.errors).toEqual([
      { field: other.hash, message: "no file of this deployment has this hash" },
    ]);
    await expectProblem(await putBlob(token, id, "not-a-hash", other.bytes), 422, "invalid_input");

    // A body past the limit while declared as a manifest hash: 413 before any hashing.
    const oversize = new Uint8Array(65537).fill(7);
    await expectProblem(await putBlob(token, id, big.hash, oversize), 413, "payload_too_large");

    const wrongType = await api(`/api/v1/deployments/${id}/blobs/${small.hash}`, {
      method: "PUT",
      token,
      body: small.bytes,
      headers: { "Content-Type": "text/plain" },
    });
    await expectProblem(wrongType, 415, "unsupported_media_type");

    expect((await putBlob(token, id, big.hash, big.bytes)).status).toBe(201);
    expect(
      (await env.STORAGE.list({ prefix: `projects/${project.id}/blobs/` })).objects.map((o) => o.key),
    ).toEqual([`projects/${project.id}/blobs/${big.hash}`]);
  });

  it("refuses a body whose size is not the size the manifest declares", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const a = await file("a.txt", "aaa");
    const created = await createDeployment(token, project.id, [{ ...a, size: 5 }]);
    const body = await expectProblem(
      await putBlob(token, created.deployment.id, a.hash, a.bytes),
      422,
      "invalid_input",
    );
    expect(body.errors).toEqual([{ field: a.hash, message: "expected 5 bytes" }]);
    expect(await env.STORAGE.head(`projects/${project.id}/blobs/${a.hash}`)).toBeNull();
  });

  it("finalize lists the missing blobs with their paths, then succeeds after the upload", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const a = await file("a.txt", "aaa");
    const b = await file("b.txt", "bbb");
    const b2 = await file("copy/b.txt", "bbb");
    const created = await createDeployment(token, project.id, [a, b, b2]);
    const id = created.deployment.id;
    expect((await putBlob(token, id, a.hash, a.bytes)).status).toBe(201);

    const body = await expectProblem(await finalize(token, id), 422, "missing_blobs");
    expect(body.missing).toEqual([{ hash: b.hash, paths: ["/b.txt", "/copy/b.txt"] }]);
    expect(body.detail).toContain("/b.txt");
    const status = await api(`/api/v1/deployments/${id}`, { token });
    expect((await status.json<{ deployment: DeploymentJson }>()).deployment.status).toBe("uploading");
    expect(await routesOf(project.id)).toEqual({});

    expect((await putBlob(token, id, b.hash, b.bytes)).status).toBe(201);
    const res = await finalize(token, id);
    expect(res.status).toBe(200);
    expect((await res.json<{ deployment: DeploymentJson }>()).deployment.status).toBe("ready");
  });

  it("refuses uploads to a finalized deployment with 409", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const a = await file("a.txt", "aaa");
    const ready = await deploy(token, project.id, [a]);
    await expectProblem(await putBlob(token, ready.id, a.hash, a.bytes), 409, "conflict");
    const form = new FormData();
    form.append(a.hash, new Blob([a.bytes]));
    await expectProblem(
      await api(`/api/v1/deployments/${ready.id}/blobs`, { token, body: form }),
      409,
      "conflict",
    );
  });

  it("redeploying identical files has nothing missing", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const files = [await file("index.html", "same"), await file("app.js", "same js")];
    const first = await deploy(token, project.id, files);
    const created = await createDeployment(token, project.id, files);
    expect(created.missing).toEqual([]);
    const res = await finalize(token, created.deployment.id);
    expect(res.status).toBe(200);
    const second = (await res.json<{ deployment: DeploymentJson }>()).deployment;
    expect(second.id).not.toBe(first.id);
    expect(second.isProduction).toBe(true);
  });
});

describe("listing deployments", () => {
  it("pages newest first with a cursor", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await createDeployment(token, project.id, [await file("a.txt", `v${i}`)])).deployment.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const res = await api(`/api/v1/projects/${project.name}/deployments?limit=2${query}`, { token });
      expect(res.status).toBe(200);
      const page = await res.json<{ deployments: DeploymentJson[]; nextCursor: string | null }>();
      expect(page.deployments.length).toBeLessThanOrEqual(2);
      seen.push(...page.deployments.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await expectProblem(
      await api(`/api/v1/projects/${project.id}/deployments?limit=0`, { token }),
      422,
      "invalid_input",
    );
  });

  it("gets one deployment", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const ready = await deploy(token, project.id, [await file("a.txt", "a")]);
    const res = await api(`/api/v1/deployments/${ready.id}`, { token });
    expect(res.status).toBe(200);
    expect((await res.json<{ deployment: DeploymentJson }>()).deployment).toEqual(ready);
    await expectProblem(await api("/api/v1/deployments/dpl_nope", { token }), 404, "not_found");
  });
});

describe("unexpected failures", () => {
  it("answer a bare 500 with a request id and no internals", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const a = await file("a.txt", "aaa");
    const created = await createDeployment(token, project.id, [a]);
    await env.STORAGE.delete(`projects/${project.id}/deployments/${created.deployment.id}/manifest.json`);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await finalize(token, created.deployment.id);
    const body = await expectProblem(res, 500, "internal");
    expect(body.detail).toBeUndefined();
    // The log, not the answer, carries the cause, found by the request id.
    const line = JSON.parse(String(log.mock.calls[0]?.[0])) as { requestId: string; stack: string };
    expect(line.requestId).toBe(body.requestId);
    expect(line.stack).toContain("manifest");
    log.mockRestore();
    expect(JSON.stringify(body)).not.toContain("manifest");
  });
});
