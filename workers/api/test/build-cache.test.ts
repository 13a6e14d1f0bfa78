import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { callback, freeBuildSlots, gitProject, report, startOf, trigger } from "./build-helpers.ts";
import { api, expectProblem, file, newUser, putBlob, sha256 } from "./helpers.ts";

afterEach(freeBuildSlots);

const KEY = `${"ab".repeat(32)}.tar.gz`;
const ZST = `${"cd".repeat(32)}.tar.zst`;

/** A running build of a new project: its deployment, project and callback token. */
async function runningBuild(body: Record<string, unknown> = {}) {
  const { token } = await newUser();
  const project = await gitProject(token);
  const deployment = await trigger(token, project.name, body);
  const { callback: cb } = await startOf(deployment.id);
  return { owner: token, project, deployment, token: cb.token };
}

/** A build taken through manifest, upload and finalize to `ready`, as the builder does. */
async function readyBuild() {
  const build = await runningBuild();
  const index = await file("index.html", `<h1>${build.project.name}</h1>`);
  const files = [{ path: index.path, hash: index.hash, size: index.size }];
  expect((await callback(build.token, `${build.deployment.id}/manifest`, { files })).status).toBe(200);
  expect((await putBlob(build.token, build.deployment.id, index.hash, index.bytes)).status).toBe(201);
  const done = await api(`/api/v1/deployments/${build.deployment.id}/finalize`, {
    method: "POST",
    token: build.token,
  });
  expect(done.status).toBe(200);
  return build;
}

function putCache(
  token: string | null,
  deploymentId: string,
  key: string,
  body: Uint8Array,
  type = "application/octet-stream",
) {
  return api(`/api/v1/builds/${deploymentId}/cache/${key}`, {
    method: "PUT",
    ...(token ? { token } : {}),
    body,
    headers: { "Content-Type": type },
  });
}

function getCache(token: string | null, deploymentId: string, key: string) {
  return api(`/api/v1/builds/${deploymentId}/cache/${key}`, token ? { token } : {});
}

const archive = (size: number, seed = 7) => Uint8Array.from({ length: size }, (_, i) => (i * seed) % 251);

describe("the build dependency cache", () => {
  it("stores an archive under the project and streams it back", async () => {
    const build = await runningBuild();
    await expectProblem(await getCache(build.token, build.deployment.id, KEY), 404, "not_found");
    const bytes = archive(40_000);
    const put = await putCache(build.token, build.deployment.id, KEY, bytes);
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ key: KEY, size: bytes.byteLength });
    const stored = await env.STORAGE.head(`projects/${build.project.id}/cache/${KEY}`);
    expect(stored?.size).toBe(bytes.byteLength);

    const got = await getCache(build.token, build.deployment.id, KEY);
    expect(got.status).toBe(200);
    expect(got.headers.get("Content-Type")).toBe("application/gzip");
    expect(got.headers.get("Content-Length")).toBe(String(bytes.byteLength));
    const back = new Uint8Array(await got.arrayBuffer());
    expect(await sha256(back)).toBe(await sha256(bytes));

    // A second put replaces the archive.
    const smaller = archive(100, 3);
    expect((await putCache(build.token, build.deployment.id, KEY, smaller)).status).toBe(201);
    const again = await getCache(build.token, build.deployment.id, KEY);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(smaller);
  });

  it("refuses no token, a wrong token and API tokens", async () => {
    const build = await runningBuild();
    const bytes = archive(10);
    await expectProblem(await putCache(null, build.deployment.id, KEY, bytes), 401, "unauthorized");
    await expectProblem(await getCache(null, build.deployment.id, KEY), 401, "unauthorized");
    await expectProblem(await putCache("mbd_wrong", build.deployment.id, KEY, bytes), 401, "unauthorized");
    await expectProblem(await getCache("mbd_wrong", build.deployment.id, KEY), 401, "unauthorized");
    await expectProblem(await putCache(build.owner, build.deployment.id, KEY, bytes), 401, "unauthorized");
    await expectProblem(await getCache(build.owner, build.deployment.id, KEY), 401, "unauthorized");
  });

  it("never lets one project read or write another's cache", async () => {
    const a = await runningBuild();
    const b = await runningBuild();
    expect((await putCache(a.token, a.deployment.id, KEY, archive(64))).status).toBe(201);
    // B's token does not open A's deployment…
    await expectProblem(await getCache(b.token, a.deployment.id, KEY), 401, "unauthorized");
    await expectProblem(await putCache(b.token, a.deployment.id, KEY, archive(8)), 401, "unauthorized");
    // …and through its own deployment it sees only its own project's archives.
    await expectProblem(await getCache(b.token, b.deployment.id, KEY), 404, "not_found");
    expect((await putCache(b.token, b.deployment.id, KEY, archive(8))).status).toBe(201);
    const mine = await getCache(a.token, a.deployment.id, KEY);
    expect(new Uint8Array(await mine.arrayBuffer())).toEqual(archive(64));
  });

  it("stops answering once the deployment is final", async () => {
    const build = await runningBuild();
    expect((await putCache(build.token, build.deployment.id, KEY, archive(16))).status).toBe(201);
    await report(build.token, build.deployment.id, { status: "failed", error: "the build command failed" });
    await expectProblem(await getCache(build.token, build.deployment.id, KEY), 401, "unauthorized");
    await expectProblem(
      await putCache(build.token, build.deployment.id, KEY, archive(16)),
      401,
      "unauthorized",
    );
  });

  it("takes zstd archives under `.tar.zst` keys", async () => {
    const build = await runningBuild();
    const bytes = archive(3000, 5);
    const put = await putCache(build.token, build.deployment.id, ZST, bytes, "application/zstd");
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ key: ZST, size: bytes.byteLength });
    const stored = await env.STORAGE.head(`projects/${build.project.id}/cache/${ZST}`);
    expect(stored?.httpMetadata?.contentType).toBe("application/zstd");
    const got = await getCache(build.token, build.deployment.id, ZST);
    expect(got.headers.get("Content-Type")).toBe("application/zstd");
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    // The same branch hash as gzip is another archive.
    await expectProblem(
      await getCache(build.token, build.deployment.id, `${"cd".repeat(32)}.tar.gz`),
      404,
      "not_found",
    );
  });

  it("takes the token of a ready deployment for the cache, and for nothing else, for 10 minutes", async () => {
    const build = await readyBuild();
    const id = build.deployment.id;
    expect((await putCache(build.token, id, ZST, archive(500))).status).toBe(201);
    expect((await getCache(build.token, id, ZST)).status).toBe(200);
    // Every other callback route is closed as soon as the deployment is ready.
    const event = await callback(build.token, `${id}/events`, { status: "building", heartbeat: true });
    await expectProblem(event, 401, "unauthorized");
    const log = await callback(build.token, `${id}/logs`, { seq: 9, lines: [] });
    await expectProblem(log, 401, "unauthorized");
    const blobs = await callback(build.token, `${id}/blobs`, { hashes: ["a".repeat(64)] });
    await expectProblem(blobs, 401, "unauthorized");

    // Just within the grace it still works; past it, not.
    const setReady = (ago: number) =>
      env.DB.prepare("update deployments set ready_at = ?, finished_at = ? where id = ?")
        .bind(Date.now() - ago, Date.now() - ago, id)
        .run();
    await setReady(10 * 60 * 1000 - 30_000);
    expect((await putCache(build.token, id, ZST, archive(400))).status).toBe(201);
    await setReady(10 * 60 * 1000 + 1000);
    await expectProblem(await putCache(build.token, id, ZST, archive(400)), 401, "unauthorized");
    await expectProblem(await getCache(build.token, id, ZST), 401, "unauthorized");
    // An API token of the owner never opens these routes.
    await setReady(0);
    await expectProblem(await putCache(build.owner, id, ZST, archive(4)), 401, "unauthorized");
  });

  it("never takes the token of a failed or canceled deployment, however recent", async () => {
    for (const status of ["failed", "canceled"]) {
      const build = await runningBuild();
      const id = build.deployment.id;
      await report(build.token, id, { status, ...(status === "failed" ? { error: "exit 1" } : {}) });
      // Even with a ready time (it never had one), only `ready` opens the grace.
      await env.DB.prepare("update deployments set ready_at = ? where id = ?").bind(Date.now(), id).run();
      await expectProblem(await putCache(build.token, id, ZST, archive(16)), 401, "unauthorized");
      await expectProblem(await getCache(build.token, id, ZST), 401, "unauthorized");
      await freeBuildSlots();
    }
  });

  it("refuses to save the cache of a build that started before the cache was cleared", async () => {
    const build = await runningBuild();
    const cleared = await api(`/api/v1/projects/${build.project.name}/cache`, {
      method: "DELETE",
      token: build.owner,
    });
    expect(cleared.status).toBe(200);
    await expectProblem(await putCache(build.token, build.deployment.id, ZST, archive(64)), 409, "conflict");
    expect(await env.STORAGE.head(`projects/${build.project.id}/cache/${ZST}`)).toBeNull();
    await freeBuildSlots();

    // A build without cache restored nothing from before, so its cache is kept.
    const fresh = await runningBuild({ cache: false });
    await api(`/api/v1/projects/${fresh.project.name}/cache`, { method: "DELETE", token: fresh.owner });
    expect((await putCache(fresh.token, fresh.deployment.id, ZST, archive(64))).status).toBe(201);
  });

  it("keeps a project's archives within MIAOBU_MAX_PROJECT_CACHE_BYTES, deleting the oldest", async () => {
    // The tests' limit is 150,000 bytes (vitest.config.ts); each archive here is 60,000.
    const build = await runningBuild();
    const other = await runningBuild();
    const keyOf = (c: string) => `${c.repeat(64)}.tar.zst`;
    const stored = async (projectId: string) =>
      (await env.STORAGE.list({ prefix: `projects/${projectId}/cache/` })).objects.map((o) => o.key).sort();
    const full = (projectId: string, c: string) => `projects/${projectId}/cache/${keyOf(c)}`;
    expect((await putCache(other.token, other.deployment.id, keyOf("0"), archive(60_000))).status).toBe(201);
    for (const c of ["1", "2", "3"]) {
      expect((await putCache(build.token, build.deployment.id, keyOf(c), archive(60_000))).status).toBe(201);
      // Upload times are in milliseconds: keep them apart.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await stored(build.project.id)).toEqual([
      full(build.project.id, "2"),
      full(build.project.id, "3"),
    ]);
    // Saving the older one again makes it the newest: now "3" is the oldest and goes.
    expect((await putCache(build.token, build.deployment.id, keyOf("2"), archive(60_000))).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await stored(build.project.id)).toEqual([
      full(build.project.id, "2"),
      full(build.project.id, "3"),
    ]);
    expect((await putCache(build.token, build.deployment.id, keyOf("4"), archive(60_000))).status).toBe(201);
    expect(await stored(build.project.id)).toEqual([
      full(build.project.id, "2"),
      full(build.project.id, "4"),
    ]);
    // Another project's archives count against its own limit only.
    expect(await stored(other.project.id)).toEqual([full(other.project.id, "0")]);
  });

  it("refuses an archive past MIAOBU_MAX_CACHE_BYTES, a bad key, and a body without its length", async () => {
    const build = await runningBuild();
    // The tests' limit is 64 KiB (vitest.config.ts).
    const large = await putCache(build.token, build.deployment.id, KEY, archive(65_537));
    await expectProblem(large, 413, "payload_too_large");
    for (const key of [
      "abc.tar.gz",
      `${"AB".repeat(32)}.tar.gz`,
      `${"ab".repeat(32)}`,
      `${"ab".repeat(32)}.tar.xz`,
      `${"ab".repeat(32)}.zst`,
      "..%2Fblobs%2Fx",
    ]) {
      await expectProblem(
        await putCache(build.token, build.deployment.id, key, archive(8)),
        422,
        "invalid_input",
      );
      await expectProblem(await getCache(build.token, build.deployment.id, key), 422, "invalid_input");
    }
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(archive(8));
        controller.close();
      },
    });
    const chunked = await api(`/api/v1/builds/${build.deployment.id}/cache/${KEY}`, {
      method: "PUT",
      token: build.token,
      body: streamed,
    });
    await expectProblem(chunked, 411, "length_required");
    const typed = await api(`/api/v1/builds/${build.deployment.id}/cache/${KEY}`, {
      method: "PUT",
      token: build.token,
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(typed, 415, "unsupported_media_type");
  });
});

describe("the rules report of a build", () => {
  it("ends the build log with finalize's warnings about _redirects", async () => {
    const build = await runningBuild();
    const index = await file("index.html", "<h1>hi</h1>");
    const redirects = await file("_redirects", "/old /new 301\n/bad /x 299\n");
    const files = [index, redirects].map(({ path, hash, size }) => ({ path, hash, size }));
    expect((await callback(build.token, `${build.deployment.id}/manifest`, { files })).status).toBe(200);
    const log = await callback(build.token, `${build.deployment.id}/logs`, {
      seq: 1,
      lines: [{ t: Date.now(), stream: "system", text: "Build done" }],
    });
    expect(log.status).toBe(200);
    for (const f of [index, redirects]) {
      expect((await putBlob(build.token, build.deployment.id, f.hash, f.bytes)).status).toBe(201);
    }
    const done = await api(`/api/v1/deployments/${build.deployment.id}/finalize`, {
      method: "POST",
      token: build.token,
    });
    expect(done.status).toBe(200);
    const { deployment } = await done.json<{ deployment: { rulesReport: { line: number }[] } }>();
    expect(deployment.rulesReport).toMatchObject([{ file: "_redirects", line: 2 }]);
    const text = await (
      await api(`/api/v1/deployments/${build.deployment.id}/logs`, { token: build.owner })
    ).text();
    expect(text).toMatch(/^Build done\nwarning: _redirects:2: .+\n$/);
  });
});
