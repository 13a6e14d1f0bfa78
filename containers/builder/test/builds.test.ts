import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesRunning } from "../../../test/support/processes.ts";
import type { RunningBuilder } from "../src/index.ts";
import { processesOf } from "../src/process.ts";
import { FakeApi } from "./fake-api.ts";
import { type BuilderFixture, buildRequest, call, GitServer, startFixture, stopFixture } from "./harness.ts";

const secret = `bs_${randomBytes(16).toString("hex")}`;
const git = new GitServer();
const api = new FakeApi();
let fixture: BuilderFixture | undefined;
let builder: RunningBuilder;

beforeAll(async () => {
  fixture = await startFixture(git, api, { secret, heartbeatMs: 500 });
  builder = fixture.builder;
});

afterAll(() => stopFixture(fixture));

const page = `<!doctype html><title>hi</title>${"<p>Hello, Miaobu.</p>\n".repeat(200)}`;
const BUILD_JS = `
const fs = require("node:fs");
fs.mkdirSync("dist/sub", { recursive: true });
fs.writeFileSync("dist/index.html", ${JSON.stringify(page)});
fs.writeFileSync("dist/app.js", "console.log('app');\\n".repeat(300));
fs.writeFileSync("dist/sub/page.html", "<h1>sub</h1>");
fs.writeFileSync("dist/logo.png", Buffer.from([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]));
console.log("built for " + process.env.MIAOBU_BRANCH);
`;

async function run(request: ReturnType<typeof buildRequest>) {
  api.expect(request.deploymentId, request.callback.token);
  const answer = await call(builder.url, secret, "POST", "/builds", request);
  expect(answer.status).toBe(202);
  return api.finished(request.deploymentId);
}

describe("a plain site with a build script", () => {
  it("clones, builds, uploads every blob with br and gzip variants, and finalizes", async () => {
    const sha = await git.commit(
      "plain",
      {
        "package.json": JSON.stringify({ name: "plain", private: true, scripts: { build: "node build.js" } }),
        "build.js": BUILD_JS,
      },
      "first page",
    );
    const request = buildRequest(git, api.url, "plain");
    const record = await run(request);
    const log = api.logText(request.deploymentId);
    expect(record.status, log).toBe("ready");

    const statuses = record.events.filter((e) => !e.heartbeat).map((e) => e.status);
    expect(statuses).toEqual(["cloning", "installing", "building", "uploading"]);
    expect(record.events.find((e) => e.status === "installing")).toMatchObject({
      commitSha: sha,
      commitMessage: "first page",
    });

    const seqs = [...record.batches.keys()].sort((a, b) => a - b);
    expect(seqs[0]).toBe(1);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    expect(log).toContain("built for main");
    expect(log).toMatch(/✓ install \(/);
    expect(log).toMatch(/✓ build \(/);
    // Each phase is timed, the upload too although the log closes before finalize.
    expect(log).toMatch(/✓ check output \(/);
    expect(log).toMatch(/✓ hash and compress \(/);
    expect(log).toContain("4 files, 2 compressed, 4 variants kept");
    expect(log).toMatch(/✓ upload \([^)]+\): 8 of 8 blobs sent, [\d.]+ MB/);
    expect(log).toMatch(/Build done in .* · upload /);

    const manifest = record.manifest ?? [];
    expect(manifest.map((f) => f.path)).toEqual(["app.js", "index.html", "logo.png", "sub/page.html"]);
    for (const file of manifest) {
      expect(api.blobs.get(file.hash)?.length).toBe(file.size);
    }
    const index = manifest.find((f) => f.path === "index.html");
    const br = index?.variants?.br;
    const gz = index?.variants?.gzip;
    expect(br && gz).toBeTruthy();
    if (!br || !gz) return;
    expect(brotliDecompressSync(api.blobs.get(br.hash) ?? Buffer.alloc(0)).toString()).toBe(page);
    expect(gunzipSync(api.blobs.get(gz.hash) ?? Buffer.alloc(0)).toString()).toBe(page);
    expect(br.size).toBeLessThan(index?.size ?? 0);
    // Binary and tiny files get no variants.
    expect(manifest.find((f) => f.path === "logo.png")?.variants).toBeUndefined();
    expect(record.unauthorized).toBe(0);
  });

  it("deploys a plain HTML repository as it is, at the exact commit asked for", async () => {
    const first = await git.commit("html", { "index.html": "<h1>one</h1>" });
    await git.commit("html", { "index.html": "<h1>two</h1>" });
    const request = buildRequest(git, api.url, "html", { commit: first });
    const record = await run(request);
    expect(record.status, api.logText(request.deploymentId)).toBe("ready");
    const file = record.manifest?.find((f) => f.path === "index.html");
    expect(api.blobs.get(file?.hash ?? "")?.toString()).toBe("<h1>one</h1>");
    expect(record.manifest?.some((f) => f.path.startsWith(".git"))).toBe(false);
  });
});

describe("failures end in failed with the reason", () => {
  it("a missing commit", async () => {
    await git.commit("missing", { "index.html": "x" });
    const request = buildRequest(git, api.url, "missing", {
      commit: "0123456789abcdef0123456789abcdef01234567",
    });
    const record = await run(request);
    const failed = record.events.find((e) => e.status === "failed");
    expect(failed?.error).toMatch(/could not fetch commit 0123456789abcdef/);
    expect(api.logText(request.deploymentId)).toContain("Build failed: could not fetch commit");
  });

  it("a failing build command", async () => {
    await git.commit("failing", { "index.html": "x" });
    const request = buildRequest(git, api.url, "failing", {
      settings: { buildCommand: "echo nope >&2; exit 3" },
    });
    const record = await run(request);
    expect(record.events.find((e) => e.status === "failed")?.error).toBe(
      "the build command exited with code 3",
    );
    expect(api.logText(request.deploymentId)).toContain("nope");
  });

  it("an output folder that was never written", async () => {
    await git.commit("nooutput", { "index.html": "x" });
    const request = buildRequest(git, api.url, "nooutput", {
      settings: { buildCommand: "true", outputDir: "dist" },
    });
    const record = await run(request);
    expect(record.events.find((e) => e.status === "failed")?.error).toMatch(
      /output folder dist does not exist/,
    );
  });

  it("an output link that leaves the output folder", async () => {
    await git.commit("escape", { "index.html": "x" });
    const command = "mkdir -p dist && echo hi > dist/index.html && ln -s /etc/passwd dist/passwd";
    const request = buildRequest(git, api.url, "escape", {
      settings: { buildCommand: command, outputDir: "dist" },
    });
    const record = await run(request);
    expect(record.events.find((e) => e.status === "failed")?.error).toMatch(
      /passwd is a link to a path outside/,
    );
  });

  it("a build over its time limit, with heartbeats while it runs", async () => {
    await git.commit("slow", { "index.html": "x" });
    const request = buildRequest(git, api.url, "slow", {
      settings: { buildCommand: "sleep 600", timeoutSeconds: 3 },
    });
    const started = Date.now();
    const record = await run(request);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(record.events.find((e) => e.status === "failed")?.error).toBe(
      "the build ran past its time limit of 3 s",
    );
    expect(record.events.some((e) => e.heartbeat && e.status === "building")).toBe(true);
  });
});

describe("cancellation", () => {
  it("kills the whole process group, and processes that left it, at once", async () => {
    await git.commit("cancel", { "index.html": "x" });
    const command =
      "echo uid=$(id -u); sleep 601 & echo child=$!; setsid sleep 602 & echo escaper=$!; sleep 603";
    const request = buildRequest(git, api.url, "cancel", { settings: { buildCommand: command } });
    api.expect(request.deploymentId, request.callback.token);
    expect((await call(builder.url, secret, "POST", "/builds", request)).status).toBe(202);
    // A retry of the same build is recognized.
    expect((await call(builder.url, secret, "POST", "/builds", request)).status).toBe(200);
    // Pids inside the build's PID namespace mean nothing here: find its sleeps by their arguments.
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pids = [...processesRunning("sleep 601"), ...processesRunning("sleep 602")];
    }
    expect(pids).toHaveLength(2);
    expect((await call(builder.url, secret, "DELETE", `/builds/${request.deploymentId}`)).status).toBe(202);
    const record = await api.finished(request.deploymentId, 10_000);
    expect(record.events.at(-1)?.status).toBe("canceled");
    for (const pid of pids) expect(existsSync(`/proc/${pid}`) && !isZombie(pid)).toBe(false);
    expect(["sleep 601", "sleep 602", "sleep 603"].flatMap(processesRunning)).toEqual([]);
    if (process.getuid?.() === 0) {
      // The build user (leased per slot, so not always miaobu-build-0) has nothing left running.
      const uid = Number(/uid=(\d+)/.exec(api.logText(request.deploymentId))?.[1]);
      expect(uid).toBeGreaterThan(0);
      expect(await processesOf(uid)).toEqual([]);
    }
    await builder.builder.settled(request.deploymentId);
    expect((await call(builder.url, secret, "DELETE", `/builds/${request.deploymentId}`)).status).toBe(404);
  });
});

describe("the HTTP interface", () => {
  it("answers health without a secret and refuses everything else without it", async () => {
    const health = await fetch(`${builder.url}/healthz`);
    expect(await health.json()).toMatchObject({ status: "ok", capacity: 2 });
    expect((await call(builder.url, "wrong-secret", "POST", "/builds", {})).status).toBe(401);
    expect((await call(builder.url, secret, "POST", "/builds", { deploymentId: "x" })).status).toBe(422);
  });

  it("analyzes a repository without building it", async () => {
    await git.commit("vite-app", {
      "package.json": JSON.stringify({
        scripts: { build: "vite build" },
        devDependencies: { vite: "7.3.8" },
      }),
      ".nvmrc": "22\n",
    });
    const answer = await call(builder.url, secret, "POST", "/analyze", {
      source: { url: git.url("vite-app"), branch: "main" },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      framework: { id: "vite", name: "Vite" },
      installCommand: "npm install",
      buildCommand: "npm run build",
      outputDir: "dist",
      nodeVersion: "22",
      packageManager: "npm",
    });
  });
});

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}
