// The build cache on one machine (kept workspaces), with real installs from the npm registry: npm without
// a lockfile, pnpm and Yarn with theirs, the production branch's cache for a new branch, a framework's
// cache folder, another Node major, a cleared cache, a build without cache, and links a build leaves.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isNumberNpmLock } from "../../../test/support/npm-locks.ts";
import type { RunningBuilder } from "../src/index.ts";
import { isMounted, keptMount } from "../src/sandbox/mounts.ts";
import { FakeApi } from "./fake-api.ts";
import { type BuilderFixture, buildRequest, call, GitServer, startFixture, stopFixture } from "./harness.ts";

const secret = `bs_${randomBytes(16).toString("hex")}`;
const git = new GitServer();
const api = new FakeApi();
let fixture: BuilderFixture | undefined;
let builder: RunningBuilder;
let workDir: string;

beforeAll(async () => {
  fixture = await startFixture(git, api, {
    secret,
    // The machine's own CA (a proxy's), as the builder's default, and a setting of our own.
    npmrc: [
      process.env.NODE_EXTRA_CA_CERTS ? `cafile=${process.env.NODE_EXTRA_CA_CERTS}` : "",
      "fund=false",
    ].join("\n"),
  });
  builder = fixture.builder;
  workDir = path.join(fixture.dataDir, "work");
});

afterAll(() => stopFixture(fixture));

type Overrides = Parameters<typeof buildRequest>[3];
let lastManifest: { path: string; variants?: unknown }[] = [];

async function build(repo: string, overrides: Overrides = {}, project = `prj_${repo}`) {
  const request = { ...buildRequest(git, api.url, repo, overrides), project: { id: project, name: repo } };
  api.expect(request.deploymentId, request.callback.token);
  expect((await call(builder.url, secret, "POST", "/builds", request)).status).toBe(202);
  const record = await api.finished(request.deploymentId, Number(process.env.BUILD_WAIT_MS ?? 170_000));
  const log = api.logText(request.deploymentId);
  expect(record.status, log).toBe("ready");
  // The workspace is kept after the build reports: wait until the builder is idle again.
  await until(
    async () =>
      ((await call(builder.url, secret, "GET", "/healthz")).body as { running?: number }).running === 0,
  );
  lastManifest = record.manifest ?? [];
  return log;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
}

const BUILD_WITH_DEP = `const isNumber = require("is-number");
require("node:fs").mkdirSync("dist", { recursive: true });
require("node:fs").writeFileSync("dist/index.html", "<p>" + isNumber(42) + "</p>");
`;

function site(name: string, extra: Record<string, unknown> = {}): Record<string, string> {
  return {
    "package.json": JSON.stringify({
      name,
      private: true,
      scripts: { build: "node build.js" },
      dependencies: { "is-number": "7.0.0" },
      ...extra,
    }),
    "build.js": BUILD_WITH_DEP,
  };
}

/** The metadata files of a project's kept workspaces. */
async function keptMeta(project: string): Promise<string[]> {
  const dir = path.join(workDir, ".private", "kept", project);
  return (await readdir(dir).catch(() => []))
    .filter((f) => f.endsWith(".json"))
    .map((f) => path.join(dir, f));
}

describe("npm without a lockfile", () => {
  it("reuses node_modules and npm's store on the next build, and on a new branch from production's", async () => {
    await git.commit("npm", site("npm-site"));
    const cold = await build("npm");
    expect(cold).toContain("No build cache for this branch yet");
    expect(cold).toMatch(/added 1 package/);
    expect(await keptMeta("prj_npm")).toHaveLength(1);
    // Its image stays mounted for the next build, its files still in the kernel's caches.
    const [kept = ""] = await keptMeta("prj_npm");
    expect(await isMounted(keptMount(kept.slice(0, -".json".length)))).toBe(true);

    await git.commit("npm", { "build.js": `${BUILD_WITH_DEP}// changed\n` });
    const warm = await build("npm");
    expect(warm).toMatch(
      /Build cache of branch main, saved \d+ s ago: home \(package manager store\), node_modules/,
    );
    expect(warm).toMatch(/up to date/);
    expect(warm).not.toMatch(/added \d+ package/);
    expect(await isMounted(keptMount(kept.slice(0, -".json".length)))).toBe(true);

    execFileSync("git", ["branch", "-f", "feature"], { cwd: path.join(git.base, "npm") });
    const branch = await build("npm", { branch: "feature" });
    expect(branch).toMatch(/Build cache of production branch main, saved .*node_modules/);
    expect(branch).toMatch(/up to date/);
    // Production's was copied, not taken: both branches now have one.
    expect(await keptMeta("prj_npm")).toHaveLength(2);
    expect(await build("npm")).toMatch(/Build cache of branch main/);
    // Another project of the same repository and branch never gets this project's.
    expect(await build("npm", {}, "prj_someone_else")).toContain("No build cache for this branch yet");
  });

  it("rebuilds node_modules made with another Node major, and keeps nothing after a clear", async () => {
    const [meta = ""] = await keptMeta("prj_npm").then((files) => files.sort());
    for (const file of await keptMeta("prj_npm")) {
      const json = JSON.parse(await readFile(file, "utf8")) as { branch: string; nodeMajor: string };
      if (json.branch === "main") await writeFile(file, JSON.stringify({ ...json, nodeMajor: "18" }));
    }
    expect(meta).not.toBe("");
    const other = await build("npm");
    expect(other).toMatch(
      /the cache was made with Node 18, this build uses Node \d+: node_modules and framework caches are rebuilt/,
    );
    expect(other).toMatch(/added 1 package/);

    const cleared = await build("npm", {
      cache: { restore: true, productionBranch: "main", clearedAt: Date.now() },
    });
    expect(cleared).toContain("No build cache for this branch yet");
    expect(cleared).toMatch(/added 1 package/);

    const without = await build("npm", {
      cache: { restore: false, productionBranch: "main", clearedAt: null },
    });
    expect(without).toContain("Building without cache, as asked");
    expect(without).toMatch(/added 1 package/);
    // …and its workspace is the branch's cache now.
    expect(await build("npm")).toMatch(/Build cache of branch main.*node_modules/);
  });
});

const NPM_LOCK = isNumberNpmLock("npm-lock-site");

describe("skipping the install", () => {
  it("only when package.json, the lockfile, the tools and the environment are the cached install's", async () => {
    await git.commit("npm-lock", { ...site("npm-lock-site"), "package-lock.json": NPM_LOCK });
    expect(await build("npm-lock")).toMatch(/added 1 package/);

    await git.commit("npm-lock", { "build.js": `${BUILD_WITH_DEP}// changed\n` });
    const warm = await build("npm-lock");
    expect(warm).toContain("Skipping the install: node_modules come from the build cache");
    expect(warm).not.toMatch(/\$ npm (install|ci)/);
    expect(lastManifest.map((file) => file.path)).toContain("index.html");

    // Another value of a build variable: the install runs (it may read it).
    const env = await build("npm-lock", { env: { NODE_ENV: "production" } });
    expect(env).not.toContain("Skipping the install");
    expect(env).toMatch(/up to date/);

    // An install script of the project's own may write anywhere: the install always runs.
    await git.commit("npm-lock", {
      "package.json": JSON.stringify({
        ...JSON.parse(site("npm-lock-site")["package.json"] ?? ""),
        scripts: {
          build: "node build.js",
          postinstall: "node -e \"require('fs').writeFileSync('made-by-postinstall', '')\"",
        },
      }),
    });
    for (let i = 0; i < 2; i++) expect(await build("npm-lock")).not.toContain("Skipping the install");
  });
});

describe("pnpm and Yarn with their lockfiles", () => {
  it("pnpm finds its store and node_modules in place", async () => {
    await git.commit("pnpm", {
      ...site("pnpm-site"),
      "pnpm-lock.yaml": `lockfileVersion: '9.0'

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
`,
    });
    expect(await build("pnpm")).toMatch(/\$ pnpm install/);
    // Nothing the install reads changed: node_modules are the cached install's, as they are.
    const same = await build("pnpm");
    expect(same).toMatch(/Build cache of branch main.*node_modules/);
    expect(same).toContain("Skipping the install");
    await git.commit("pnpm", {
      "package.json": JSON.stringify({
        ...JSON.parse(site("pnpm-site")["package.json"] ?? ""),
        description: "x",
      }),
    });
    const warm = await build("pnpm");
    expect(warm).toMatch(/Build cache of branch main.*node_modules/);
    expect(warm).toMatch(/Already up to date|Lockfile is up to date/);
  });

  it("Yarn finds its cache and node_modules in place", async () => {
    await git.commit("yarn", {
      ...site("yarn-site"),
      "yarn.lock": `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


is-number@7.0.0:
  version "7.0.0"
  resolved "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz#7535345b896734d5f80c4d06c50955527a14f12b"
  integrity sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==
`,
    });
    expect(await build("yarn")).toMatch(/\$ yarn install/);
    const warm = await build("yarn");
    expect(warm).toMatch(/Build cache of branch main.*node_modules/);
    expect(warm).toMatch(/Already up-to-date/);
  });
});

describe("a framework's cache folder", () => {
  it("comes back on the next build (a project detected as Docusaurus: .docusaurus)", async () => {
    await git.commit("docs", {
      "package.json": JSON.stringify({
        name: "docs",
        private: true,
        scripts: { build: "node build.js" },
        devDependencies: { "@docusaurus/core": "3.9.2" },
      }),
      "build.js": `const fs = require("node:fs");
const stamp = ".docusaurus/stamp";
console.log(fs.existsSync(stamp) ? "REUSED " + fs.readFileSync(stamp, "utf8") : "FRESH");
fs.mkdirSync(".docusaurus", { recursive: true });
fs.writeFileSync(stamp, process.env.MIAOBU_DEPLOYMENT_ID);
fs.mkdirSync("build", { recursive: true });
fs.writeFileSync("build/index.html", "<p>docs</p>");
`,
    });
    // Nothing to install: the cache of a folder does not depend on node_modules.
    const settings = { installCommand: "true" };
    const first = await build("docs", { settings });
    expect(first).toContain("FRESH");
    const second = await build("docs", { settings });
    expect(second).toMatch(/Build cache of branch main.*\.docusaurus/);
    expect(second).toMatch(/REUSED dpl_/);
  });
});

describe("what a build leaves in its kept workspace", () => {
  it("a process it leaves behind cannot change the cache the next build starts from", async () => {
    // The build starts a detached process that, once the build is over, would overwrite a cached package.
    // Builds' processes are killed before the workspace is kept (and kept mounted), so the next build of
    // the branch, started after the attack would have landed, finds the package as installed.
    await git.commit("linger", {
      ...site("linger-site"),
      "build.js": `const fs = require("node:fs");
const file = require.resolve("is-number");
if (fs.readFileSync(file, "utf8").includes("poisoned")) process.exit(7);
${BUILD_WITH_DEP}
require("node:child_process")
  .spawn("setsid", ["sh", "-c", "sleep 2; echo 'module.exports = () => \\"poisoned\\";' > " + file], {
    detached: true,
    stdio: "ignore",
  })
  .unref();
`,
    });
    await build("linger");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await build("linger")).toMatch(/Build cache of branch main.*node_modules/);
  });

  it("links in place of home and of the cache's own files, FIFOs and sockets lead the next build nowhere outside", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "miaobu-outside-"));
    await mkdir(path.join(outside, "home"));
    await git.commit("links", {
      "package.json": JSON.stringify({ name: "links", private: true, scripts: { build: "node build.js" } }),
      "build.js": `const fs = require("node:fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.html", "<p>links</p>");
const root = process.env.HOME.replace(/\\/home$/, "");
fs.rmSync(root + "/home", { recursive: true, force: true });
fs.symlinkSync(${JSON.stringify(outside)} + "/home", root + "/home");
fs.symlinkSync(${JSON.stringify(outside)}, root + "/.previous");
fs.symlinkSync(${JSON.stringify(outside)}, root + "/.miaobu-cache.json");
// A FIFO and a socket where privileged code walks the kept tree (chown -R) must not block or be opened.
if (!fs.existsSync(root + "/fifo")) {
  require("node:child_process").execFileSync("mkfifo", [root + "/fifo", root + "/src/fifo"]);
  require("node:net").createServer().listen(root + "/socket").unref();
}
`,
    });
    await build("links");
    const second = await build("links");
    expect(second).toMatch(/Build cache of branch main/);
    // The builder wrote the build's .npmrc into the real home, not through the link.
    expect(existsSync(path.join(outside, "home", ".npmrc"))).toBe(false);
    expect(await readdir(outside)).toEqual(["home"]);
    expect(await readdir(path.join(outside, "home"))).toEqual([]);
    await rm(outside, { recursive: true, force: true });
  });
});

describe("a branch's build and the production branch's cache", () => {
  it("a build of another branch (a fork's pull request) cannot change what production builds restore", async () => {
    const repo = path.join(git.base, "poison");
    const probe = `const fs = require("node:fs");
console.log(fs.existsSync("node_modules/POISON") ? "POISONED" : "CLEAN");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.html", "<p>site</p>");
`;
    await git.commit("poison", site("poison"));
    await git.commit("poison", { "build.js": probe });
    expect(await build("poison")).toContain("CLEAN");
    execFileSync("git", ["checkout", "-q", "-b", "feature"], { cwd: repo });
    await git.commit("poison", {
      "build.js": `${probe}fs.writeFileSync("node_modules/POISON", "x"); fs.writeFileSync(process.env.HOME + "/POISON", "x");\n`,
    });
    const attack = await build("poison", { branch: "feature" });
    expect(attack).toMatch(/Build cache of production branch main/);
    execFileSync("git", ["checkout", "-q", "main"], { cwd: repo });
    await git.commit("poison", {
      "build.js": `${probe}console.log(require("node:fs").existsSync(process.env.HOME + "/POISON") ? "HOME POISONED" : "HOME CLEAN");\n`,
    });
    const production = await build("poison");
    expect(production).toMatch(/Build cache of branch main/);
    expect(production).toContain("CLEAN");
    expect(production).not.toContain("POISONED");
    expect(production).toContain("HOME CLEAN");
  });
});

describe("compressed variants", () => {
  it("are made again only for the files that changed since the last build", async () => {
    const page = (title: string) =>
      `<!doctype html><title>${title}</title>${"<p>Hello, Miaobu.</p>\n".repeat(300)}`;
    const site = (script: string) => ({
      "package.json": JSON.stringify({ name: "pages", private: true, scripts: { build: "node build.js" } }),
      "build.js": `const fs = require("node:fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.html", ${JSON.stringify(page("same"))});
fs.writeFileSync("dist/app.js", ${JSON.stringify(script)}.repeat(400));
`,
    });
    await git.commit("pages", site("console.log('one');\n"));
    expect(await build("pages")).toContain("2 files, 2 compressed, 4 variants kept");
    const first = new Map(lastManifest.map((f) => [f.path, f.variants]));
    await git.commit("pages", site("console.log('two');\n"));
    expect(await build("pages")).toContain(
      "2 files, 1 compressed, 1 unchanged since the last build (their variants reused), 4 variants kept",
    );
    const second = new Map(lastManifest.map((f) => [f.path, f.variants]));
    expect(second.get("index.html")).toEqual(first.get("index.html"));
    expect(second.get("app.js")).not.toEqual(first.get("app.js"));
  });
});
