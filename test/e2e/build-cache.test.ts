// The build cache as a user controls it, end to end: the real CLI against the platform (API in workerd on an
// S3 server, the real builder, a `git daemon`). `miaobu trigger --no-cache` builds without the cache, and
// `miaobu cache clear` deletes the project's archives in the bucket and nothing else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitServer } from "../../containers/builder/test/harness.ts";
import type { Storage } from "../../packages/storage/src/types.ts";
import { runCli, type TestPlatform } from "../support/platform.ts";
import { startPlatformOnS3 } from "../support/s3-server.ts";

const git = new GitServer();
let stopPlatform: (() => Promise<void>) | undefined;
let bucket: Storage;
let t: TestPlatform;

beforeAll(async () => {
  await git.start();
  await git.commit(
    "site",
    {
      "package.json": JSON.stringify({ name: "site", private: true, scripts: { build: "node build.js" } }),
      "build.js": [
        "const fs = require('node:fs');",
        "fs.mkdirSync('dist', { recursive: true });",
        "fs.writeFileSync('dist/index.html', '<h1>cached</h1>');",
      ].join("\n"),
    },
    "first",
  );
  ({ t, bucket, stop: stopPlatform } = await startPlatformOnS3());
}, 120_000);

afterAll(async () => {
  await stopPlatform?.();
  git.stop();
});

async function keysUnder(prefix: string): Promise<string[]> {
  return (await bucket.list({ prefix })).objects.map((o) => o.key).sort();
}

async function createProject(name: string): Promise<string> {
  const res = await runCli(t, ["projects", "create", name, "--git", git.url("site"), "--json"]);
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { project: { id: string } }).project.id;
}

const archive = (projectId: string, c: string) => `projects/${projectId}/cache/${c.repeat(64)}.tar.zst`;

describe("the build cache from the CLI", () => {
  it("`trigger --no-cache` builds without the cache and says so", async () => {
    await createProject("fresh-site");
    const res = await runCli(t, ["trigger", "fresh-site", "--no-cache", "--follow", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const { deployment } = JSON.parse(res.stdout) as { deployment: { status: string; skipCache: boolean } };
    expect(deployment).toMatchObject({ status: "ready", skipCache: true });
    // The builder's log says it restored nothing.
    const log = await runCli(t, ["logs", deploymentIdOf(res)]);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/without cache/i);

    const plain = await runCli(t, ["trigger", "fresh-site"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/Queued build dpl_\w+ of fresh-site \(branch main\)\n/);
    const noCache = await runCli(t, ["trigger", "fresh-site", "--no-cache"]);
    expect(noCache.code, noCache.stderr).toBe(0);
    expect(noCache.stderr).toMatch(/Queued build dpl_\w+ of fresh-site \(branch main, without cache\)\n/);
    for (const queued of [plain, noCache]) await runCli(t, ["cancel", queued.stdout.trim()]);
  });

  it("`cache clear` deletes the project's archives in the bucket, and only those", async () => {
    const id = await createProject("cleared-site");
    const otherId = await createProject("other-site");
    await bucket.put(archive(id, "a"), new Uint8Array(3000), { contentType: "application/zstd" });
    await bucket.put(archive(id, "b"), new Uint8Array(500), { contentType: "application/zstd" });
    await bucket.put(archive(otherId, "a"), new Uint8Array(100), { contentType: "application/zstd" });
    await bucket.put(`projects/${id}/blobs/${"e".repeat(64)}`, "a site's file");

    const res = await runCli(t, ["cache", "clear", "cleared-site"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe("Cleared the build cache of cleared-site: deleted 2 archives (3.5 kB).\n");
    expect(res.stderr).toContain("miaobu trigger cleared-site");
    expect(await keysUnder(`projects/${id}/cache/`)).toEqual([]);
    expect(await keysUnder(`projects/${id}/blobs/`)).toHaveLength(1);
    expect(await keysUnder(`projects/${otherId}/cache/`)).toEqual([archive(otherId, "a")]);

    const again = await runCli(t, ["cache", "clear", "cleared-site", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const cleared = JSON.parse(again.stdout) as { project: string; clearedAt: string; archives: unknown };
    expect(cleared).toMatchObject({ project: "cleared-site", archives: { deleted: 0, bytes: 0 } });
    const shown = await runCli(t, ["projects", "list", "--json"]);
    const projects = (JSON.parse(shown.stdout) as { projects: { name: string; cacheClearedAt: string }[] })
      .projects;
    expect(projects.find((p) => p.name === "cleared-site")?.cacheClearedAt).toBe(cleared.clearedAt);
  });

  it("explains what went wrong: an unknown project, a token without admin, a missing argument", async () => {
    const unknown = await runCli(t, ["cache", "clear", "no-such-site"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: project "no-such-site" not found (run `miaobu projects list`)\n');
    const json = await runCli(t, ["cache", "clear", "no-such-site", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "not_found", exitCode: 1 } });

    const created = await runCli(t, ["tokens", "create", "ci", "--scopes", "read,deploy", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { token } = (JSON.parse(created.stdout) as { token: { token: string } }).token;
    const scoped = await runCli(t, ["cache", "clear", "cleared-site"], { env: { MIAOBU_TOKEN: token } });
    expect(scoped.code).toBe(1);
    expect(scoped.stderr).toMatch(/^error: .*needs "admin"/);

    const missing = await runCli(t, ["cache", "clear"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing <project>");
    const group = await runCli(t, ["cache", "--help"]);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain("cache clear");
    const help = await runCli(t, ["cache", "clear", "--help"]);
    expect(help.stdout).toContain("Usage:\n  miaobu cache clear <project>");
    expect(help.stdout).toContain("admin scope");
  });
});

function deploymentIdOf(res: { stdout: string }): string {
  return (JSON.parse(res.stdout) as { deployment: { id: string } }).deployment.id;
}
