// The build cache where every build starts on an empty builder (BUILDER_LOCAL_CACHE=0, as in a Container),
// end to end: the real builder saves a zstd archive through the real API after the deployment is ready
// (the callback token's grace for the cache), the next build restores it, and `miaobu cache clear` ends it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitServer } from "../../containers/builder/test/harness.ts";
import type { Storage } from "../../packages/storage/src/types.ts";
import { runCli, type TestPlatform } from "../support/platform.ts";
import { startPlatformOnS3 } from "../support/s3-server.ts";

const git = new GitServer();
let stopPlatform: (() => Promise<void>) | undefined;
let bucket: Storage;
let t: TestPlatform;
const saved = process.env.BUILDER_LOCAL_CACHE;

beforeAll(async () => {
  await git.start();
  await git.commit("site", {
    "package.json": JSON.stringify({
      name: "site",
      private: true,
      scripts: { build: "node build.js" },
      dependencies: { "is-number": "7.0.0" },
    }),
    "build.js": [
      "const fs = require('node:fs');",
      "fs.mkdirSync('dist', { recursive: true });",
      "fs.writeFileSync('dist/index.html', '<h1>' + require('is-number')(1) + '</h1>');",
    ].join("\n"),
  });
  process.env.BUILDER_LOCAL_CACHE = "0";
  ({ t, bucket, stop: stopPlatform } = await startPlatformOnS3());
}, 120_000);

afterAll(async () => {
  await stopPlatform?.();
  git.stop();
  if (saved === undefined) delete process.env.BUILDER_LOCAL_CACHE;
  else process.env.BUILDER_LOCAL_CACHE = saved;
});

/** Builds with `--follow`; returns the build's log. */
async function build(project: string): Promise<string> {
  const res = await runCli(t, ["trigger", project, "--follow", "--json"]);
  expect(res.code, res.stderr).toBe(0);
  const { deployment } = JSON.parse(res.stdout) as { deployment: { id: string; status: string } };
  expect(deployment.status).toBe("ready");
  const log = await runCli(t, ["logs", deployment.id]);
  expect(log.code, log.stderr).toBe(0);
  return log.stdout;
}

/** The project's archives, once the builder has stored one after the deployment became ready. */
async function archivesOf(projectId: string, atLeastOne: boolean): Promise<string[]> {
  for (let i = 0; ; i++) {
    const keys = (await bucket.list({ prefix: `projects/${projectId}/cache/` })).objects.map((o) => o.key);
    if (!atLeastOne || keys.length > 0 || i >= 600) return keys;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the build cache in storage", () => {
  it("is saved after the deployment is ready, restored by the next build, and gone after a clear", async () => {
    const created = await runCli(t, ["projects", "create", "site", "--git", git.url("site"), "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id } = (JSON.parse(created.stdout) as { project: { id: string } }).project;

    const cold = await build("site");
    expect(cold).toContain("No build cache for this branch yet");
    expect(cold).toMatch(/added 1 package/);
    const archives = await archivesOf(id, true);
    expect(archives).toEqual([
      expect.stringMatching(new RegExp(`^projects/${id}/cache/[a-f0-9]{64}\\.tar\\.zst$`)),
    ]);

    const [key = ""] = archives;
    const first = (await bucket.head(key))?.etag;
    const warm = await build("site");
    expect(warm).toMatch(/Build cache of branch main \(\d+ MB\)/);
    expect(warm).toMatch(/up to date/);
    expect(warm).not.toMatch(/added 1 package/);

    // The warm build saves its own archive after it is ready; a clear should come after that.
    for (let i = 0; i < 600 && (await bucket.head(key))?.etag === first; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await bucket.head(key))?.etag).not.toBe(first);
    const cleared = await runCli(t, ["cache", "clear", "site"]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(await archivesOf(id, false)).toEqual([]);
    const after = await build("site");
    expect(after).toContain("No build cache for this branch yet");
    expect(after).toMatch(/added 1 package/);
  });
});
