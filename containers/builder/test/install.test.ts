// Real installs from the npm registry: a Vite project twice (the second from the dependency cache), and pnpm.
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
let builder: RunningBuilder;
let dataDir: string;

beforeAll(async () => {
  await git.start();
  await api.start();
  dataDir = await mkdtemp(path.join(tmpdir(), "miaobu-builder-"));
  await chmod(dataDir, 0o711);
  builder = await startBuilder({
    secret,
    port: 0,
    workDir: path.join(dataDir, "work"),
    cacheDir: path.join(dataDir, "cache"),
    log: () => {},
  });
});

afterAll(async () => {
  await builder?.close();
  await api.close();
  git.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(git.base, { recursive: true, force: true });
});

async function build(repo: string, on: RunningBuilder = builder) {
  const request = buildRequest(git, api.url, repo);
  api.expect(request.deploymentId, request.callback.token);
  expect((await call(on.url, secret, "POST", "/builds", request)).status).toBe(202);
  const record = await api.finished(request.deploymentId, Number(process.env.BUILD_WAIT_MS ?? 170_000));
  const log = api.logText(request.deploymentId);
  expect(record.status, log).toBe("ready");
  return { record, log, installSeconds: seconds(log) };
}

function seconds(log: string): number {
  const match = /✓ install \((\d+(?:\.\d+)?)(ms|s)\)/.exec(log);
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2] === "ms" ? 0.001 : 1);
}

describe("a Vite project with a real npm install", () => {
  it("builds, then builds again from the dependency cache with little install work", async () => {
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
    expect(cold.installSeconds).toBeGreaterThan(0);
    expect(cold.log).toContain("Vite");
    expect(cold.log).toContain("cache miss");
    expect(cold.log).toMatch(/added \d+ packages/);
    expect(cold.log).toContain("Saved the dependency cache");
    expect(cold.record.events.find((e) => e.status === "installing")?.framework).toBe("vite");
    const paths = cold.record.manifest?.map((f) => f.path) ?? [];
    expect(paths).toContain("index.html");
    expect(paths.some((p) => /^assets\/index-.*\.js$/.test(p))).toBe(true);

    const warm = await build("vite");
    expect(warm.log).toContain("cache hit");
    expect(warm.log).toMatch(/up to date/);
    expect(warm.log).not.toMatch(/added \d+ packages/);
    // npm found every package in place: nothing fetched or extracted (timings of so small an install are noise).
    expect(warm.log).toMatch(/up to date, audited \d+ packages|up to date in/);
    // Every blob was stored by the first build: the second uploads nothing.
    expect(warm.record.uploaded).toEqual([]);

    // The archive is in storage (through the API), under the project.
    const archives = [...api.caches.keys()];
    expect(archives).toEqual([expect.stringMatching(/^projects\/prj_test\/cache\/[a-f0-9]{64}\.tar\.gz$/)]);
    // A fresh builder, with empty work and cache folders (a new Container in production), restores it.
    const fresh = await startBuilder({
      secret,
      port: 0,
      workDir: path.join(dataDir, "fresh", "work"),
      cacheDir: path.join(dataDir, "fresh", "cache"),
      log: () => {},
    });
    try {
      const again = await build("vite", fresh);
      expect(again.log).toContain("cache hit");
      expect(again.log).toMatch(/up to date, audited \d+ packages|up to date in/);
      expect(again.log).not.toMatch(/added \d+ packages/);
      expect(again.log).not.toContain("Saved the dependency cache");
    } finally {
      await fresh.close();
    }
  });
});

describe("a pnpm project", () => {
  const lockfile = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      is-number:
        specifier: 7.0.0
        version: 7.0.0

packages:

  is-number@7.0.0:
    resolution: {integrity: sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==}
    engines: {node: '>=0.12.0'}

snapshots:

  is-number@7.0.0: {}
`;

  it("installs with pnpm from its lockfile, and reuses the cache", async () => {
    await git.commit("pnpm", {
      "package.json": JSON.stringify({
        name: "pnpm-site",
        private: true,
        scripts: { build: "node build.js" },
        dependencies: { "is-number": "7.0.0" },
      }),
      "pnpm-lock.yaml": lockfile,
      "build.js": `const isNumber = require("is-number");
require("node:fs").mkdirSync("dist", { recursive: true });
require("node:fs").writeFileSync("dist/index.html", "<p>" + isNumber(42) + "</p>");
`,
    });
    // Storage refusing the archive (413) costs the cache, never the build.
    api.maxCacheBytes = 16;
    const first = await build("pnpm");
    api.maxCacheBytes = 500 * 1024 * 1024;
    expect(first.log).toContain("cache miss");
    expect(first.log).toMatch(/warning: could not save the dependency cache: .*413/);
    expect(first.log).toContain("pnpm-lock.yaml → pnpm 9");
    expect(first.log).toMatch(/\$ pnpm install/);
    const file = first.record.manifest?.find((f) => f.path === "index.html");
    expect(api.blobs.get(file?.hash ?? "")?.toString()).toBe("<p>true</p>");

    // The first build's archive was refused, so the second one saves it and the third restores it.
    expect((await build("pnpm")).log).toContain("Saved the dependency cache");
    const second = await build("pnpm");
    expect(second.log).toContain("cache hit");
    expect(second.log).toMatch(/Already up to date|Lockfile is up to date/);
  });
});
