// The build cache where every build starts on an empty machine (a Container): a zstd archive in storage,
// through the API's cache endpoints, with a real Vite install from the npm registry.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBuilder, startBuilder } from "../src/index.ts";
import { FakeApi } from "./fake-api.ts";
import { buildRequest, call, GitServer } from "./harness.ts";

const secret = `bs_${randomBytes(16).toString("hex")}`;
const git = new GitServer();
const api = new FakeApi();
let dataDir: string;
const builderLog: string[] = [];
const npmrc = process.env.NODE_EXTRA_CA_CERTS ? `cafile=${process.env.NODE_EXTRA_CA_CERTS}` : null;

beforeAll(async () => {
  await git.start();
  await api.start();
  dataDir = await mkdtemp(path.join(tmpdir(), "miaobu-builder-"));
  await chmod(dataDir, 0o711);
});

afterAll(async () => {
  await api.close();
  git.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(git.base, { recursive: true, force: true });
});

/** A builder as a Container runs: its own empty folders, archives in storage. */
async function freshBuilder(): Promise<RunningBuilder> {
  const dir = await mkdtemp(path.join(dataDir, "builder-"));
  await chmod(dir, 0o711);
  return startBuilder({
    secret,
    port: 0,
    workDir: path.join(dir, "work"),
    cacheDir: path.join(dir, "cache"),
    cacheMode: "archive",
    npmrc,
    log: (line) => builderLog.push(line),
  });
}

/** Builds on a fresh builder; returns the log once the build is ready and the builder is done saving. */
async function build(repo: string): Promise<string> {
  const builder = await freshBuilder();
  try {
    const request = buildRequest(git, api.url, repo);
    api.expect(request.deploymentId, request.callback.token);
    expect((await call(builder.url, secret, "POST", "/builds", request)).status).toBe(202);
    const record = await api.finished(request.deploymentId, Number(process.env.BUILD_WAIT_MS ?? 170_000));
    const log = api.logText(request.deploymentId);
    expect(record.status, log).toBe("ready");
    // The archive is saved after the deployment is ready: the builder is idle once it is stored.
    for (let i = 0; i < 1200; i++) {
      const health = (await call(builder.url, secret, "GET", "/healthz")).body as { running?: number };
      if (health.running === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return log;
  } finally {
    await builder.close();
  }
}

describe("a Vite project on builders that start empty", () => {
  it("saves an archive after the build, restores it on another builder, and survives a corrupt one", async () => {
    await git.commit(
      "vite",
      {
        "package.json": JSON.stringify({
          name: "vite-site",
          private: true,
          type: "module",
          scripts: { build: "vite build" },
          devDependencies: { vite: "7.3.8" },
        }),
        "index.html": '<!doctype html><div id="app"></div><script type="module" src="/main.js"></script>',
        "main.js": 'document.querySelector("#app").textContent = "Hello from Vite";\n',
      },
      "vite starter",
      (dir) =>
        execFileSync(
          "npm",
          ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
          {
            cwd: dir,
            stdio: "ignore",
          },
        ),
    );
    const cold = await build("vite");
    expect(cold).toContain("No build cache for this branch yet");
    expect(cold).toMatch(/added \d+ packages/);
    const archives = [...api.caches.keys()];
    expect(archives).toEqual([expect.stringMatching(/^projects\/prj_test\/cache\/[a-f0-9]{64}\.tar\.zst$/)]);
    const [key = ""] = archives;
    // zstd's magic number.
    expect(api.caches.get(key)?.subarray(0, 4).toString("hex")).toBe("28b52ffd");

    const warm = await build("vite");
    expect(warm).toMatch(/Build cache of branch main \(\d+ MB\), saved \d+ s ago/);
    // The archive's node_modules were made from the same lockfile: the install is skipped.
    expect(warm).toContain("Skipping the install");
    expect(warm).not.toMatch(/added \d+ packages/);

    api.caches.set(key, Buffer.concat([Buffer.from("28b52ffd", "hex"), randomBytes(4096)]));
    const corrupt = await build("vite");
    expect(corrupt).toMatch(/warning: the build cache could not be restored .*; building without it/);
    expect(corrupt).toMatch(/added \d+ packages/);
    // …and the build saved a good one in its place.
    expect(api.caches.get(key)?.length ?? 0).toBeGreaterThan(100_000);
  });

  it("a cache storage refuses costs the cache, never the build", async () => {
    api.maxCacheBytes = 16;
    try {
      const before = builderLog.length;
      await build("vite");
      expect(builderLog.slice(before).join("\n")).toMatch(/warning: the build cache was not saved: .*413/);
    } finally {
      api.maxCacheBytes = 500 * 1024 * 1024;
    }
  });
});
