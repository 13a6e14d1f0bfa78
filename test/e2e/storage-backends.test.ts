// The whole platform on an S3-compatible store and on Alibaba OSS instead of R2: the CLI's uploads go through
// the API to the bucket, builds write straight to it with the SDKs, the router serves from it with signed
// fetch, and deleting a project empties its prefix.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitServer } from "../../containers/builder/test/harness.ts";
import { storageVars } from "../../packages/storage/src/config.ts";
import { ossStorage } from "../../packages/storage/src/oss.ts";
import { s3Storage } from "../../packages/storage/src/s3.ts";
import type { Storage } from "../../packages/storage/src/types.ts";
import { startOssTestServer } from "../support/oss-server.ts";
import {
  expectSiteBody,
  getSite,
  loginAdmin,
  runCli,
  startTestPlatform,
  type TestPlatform,
} from "../support/platform.ts";
import { startS3TestServer } from "../support/s3-server.ts";
import type { TestStoreServer } from "../support/store-server.ts";

const git = new GitServer();

beforeAll(async () => {
  await git.start();
  await git.commit(
    "site",
    {
      "package.json": JSON.stringify({ name: "site", private: true, scripts: { build: "node build.js" } }),
      "build.js": [
        "const fs = require('node:fs');",
        "fs.mkdirSync('dist', { recursive: true });",
        "fs.writeFileSync('dist/index.html', '<h1>built into the bucket</h1>');",
        "fs.writeFileSync('dist/big.txt', 'line of text\\n'.repeat(4000));",
        // What build code can see of the platform: its environment, and any process environment it can read.
        "const environs = [];",
        "for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {",
        "  try { environs.push(fs.readFileSync('/proc/' + pid + '/environ', 'latin1')); } catch {}",
        "}",
        "fs.writeFileSync('dist/env.json', JSON.stringify(process.env));",
        "fs.writeFileSync('dist/environs.txt', environs.join('\\n'));",
      ].join("\n"),
    },
    "first",
  );
});

afterAll(() => git.stop());

async function keysUnder(storage: Storage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

const backends = [
  { name: "s3", start: startS3TestServer, client: s3Storage },
  { name: "oss", start: startOssTestServer, client: ossStorage },
] as const;

describe.each(backends)("the platform on $name", ({ name, start, client }) => {
  let server: TestStoreServer;
  let t: TestPlatform;
  let bucket: Storage;
  const project = `on-${name}`;
  let projectId = "";

  beforeAll(async () => {
    server = await start();
    bucket = client(server.info.config);
    t = await startTestPlatform(undefined, { storage: storageVars(server.info.config) });
    await loginAdmin(t);
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await server?.close();
  });

  it("deploys a folder through the API into the bucket and serves it from there", async () => {
    const created = await runCli(t, ["projects", "create", project, "--git", git.url("site"), "--json"]);
    expect(created.code, created.stderr).toBe(0);
    projectId = JSON.parse(created.stdout).project.id;
    const dir = path.join(t.dataDir, `folder-${name}`);
    await fs.mkdir(path.join(dir, "assets"), { recursive: true });
    await fs.writeFile(path.join(dir, "index.html"), "<h1>uploaded</h1>");
    await fs.writeFile(
      path.join(dir, "assets", "data.bin"),
      Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256)),
    );
    const deployed = await runCli(t, ["deploy", dir, "--project", project, "--json"]);
    expect(deployed.code, deployed.stderr).toBe(0);

    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>uploaded</h1>");
    const ranged = await getSite(t, `${project}.localhost`, "/assets/data.bin", { range: "bytes=256-259" });
    expect(ranged.status).toBe(206);
    expect([...Buffer.from(ranged.body, "latin1")]).toEqual([0, 1, 2, 3]);
    const blobs = await keysUnder(bucket, `projects/${projectId}/blobs/`);
    expect(blobs.length).toBeGreaterThanOrEqual(2);
  });

  it("builds from git with the builder writing straight to the bucket", async () => {
    const res = await runCli(t, ["trigger", project, "--follow"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`uploading straight to the ${name} bucket`);
    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>built into the bucket</h1>");
    const big = await getSite(t, `${project}.localhost`, "/big.txt", { "accept-encoding": "gzip" });
    expect(big.status).toBe(200);
    const keys = await keysUnder(bucket, `projects/${projectId}/`);
    expect(keys.some((key) => key.endsWith("/build.log"))).toBe(true);
    // The builder holds the bucket's credentials; build code must not see them.
    const secret = server.info.config.secretAccessKey;
    const env = await getSite(t, `${project}.localhost`, "/env.json");
    expect(env.status).toBe(200);
    expect(env.body).toContain("MIAOBU_DEPLOYMENT_ID");
    expect(env.body).not.toMatch(/MIAOBU_(S3|OSS|STORAGE)/);
    expect(env.body).not.toContain(secret);
    if (process.getuid?.() === 0) {
      // As root the builder runs builds as an unprivileged user, who cannot read other processes' environment.
      const environs = await getSite(t, `${project}.localhost`, "/environs.txt");
      expect(environs.status).toBe(200);
      expect(environs.body).not.toContain(secret);
    }
    expect(keys.filter((key) => key.endsWith("/manifest.json"))).toHaveLength(2);
  });

  it("deletes every object of a deleted project", async () => {
    const res = await runCli(t, ["projects", "delete", project, "--yes"]);
    expect(res.code, res.stderr).toBe(0);
    expect(await keysUnder(bucket, `projects/${projectId}/`)).toEqual([]);
  });
});
