import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { callback, freeBuildSlots, gitProject, report, startOf, trigger } from "./build-helpers.ts";
import { api, expectProblem, file, newUser, putBlob, sha256 } from "./helpers.ts";

afterEach(freeBuildSlots);

const KEY = `${"ab".repeat(32)}.tar.gz`;

/** A running build of a new project: its deployment, project and callback token. */
async function runningBuild() {
  const { token } = await newUser();
  const project = await gitProject(token);
  const deployment = await trigger(token, project.name);
  const { callback: cb } = await startOf(deployment.id);
  return { owner: token, project, deployment, token: cb.token };
}

function putCache(token: string | null, deploymentId: string, key: string, body: Uint8Array) {
  return api(`/api/v1/builds/${deploymentId}/cache/${key}`, {
    method: "PUT",
    ...(token ? { token } : {}),
    body,
    headers: { "Content-Type": "application/octet-stream" },
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

  it("refuses an archive past MIAOBU_MAX_CACHE_BYTES, a bad key, and a body without its length", async () => {
    const build = await runningBuild();
    // The tests' limit is 64 KiB (vitest.config.ts).
    const large = await putCache(build.token, build.deployment.id, KEY, archive(65_537));
    await expectProblem(large, 413, "payload_too_large");
    for (const key of ["abc.tar.gz", `${"AB".repeat(32)}.tar.gz`, `${"ab".repeat(32)}`, "..%2Fblobs%2Fx"]) {
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
