// Hostile builds (issue 13): each repository, served by a real `git daemon` and built by the real builder,
// tries to read what only the platform may read. Its build writes what it achieved to the deployed
// `result.json`; the tests assert the sandbox's answer. See hostile-resources.test.ts for disk, processes
// and the cache, hostile-network.test.ts for the network.

import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { STORAGE_VARIABLES } from "@miaobu/storage/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitServer } from "../../containers/builder/test/harness.ts";
import { SECRET_FILES } from "../../scripts/secrets.ts";
import { isNumberNpmLock } from "../support/npm-locks.ts";
import { expectSiteBody, loginAdmin, startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { deployedResult, describeBuild, StartedBuilds } from "./hostile/builds.ts";
import { nonce, rootOnlyFolder, startSentinel } from "./hostile/host.ts";
import { attackRepo, packageJson, plainSite } from "./hostile/repos.ts";

const asRoot = process.getuid?.() === 0;
let t: TestPlatform;
const git = new GitServer();
const run = nonce();
const builds = new StartedBuilds(() => t, git);
let builderSecret = "";
let adminToken = "";
let rootOnly: ReturnType<typeof rootOnlyFolder>;
let sentinel: ReturnType<typeof startSentinel>;
const sentinelMarker = `hostile-sentinel-${run}`;
const sentinelEnv = { HOSTILE_SENTINEL_SECRET: `sentinel-secret-${run}` };
const strayWrites = ["/tmp", "/var/tmp", "/dev/shm"].map((dir) => `${dir}/miaobu-hostile-${run}`);

/** Files of the data folder a build must never read: secrets, D1, R2 and Durable Object state, CLI token. */
function platformFiles(dataDir: string): string[] {
  const files: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const at = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(at);
      else if (entry.isFile()) files.push(at);
    }
  };
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    // builder/ holds the build's own work folder and tools; build/ the public Worker bundles.
    if (entry.isFile()) files.push(path.join(dataDir, entry.name));
    else if (entry.isDirectory() && (entry.name === "state" || entry.name === "cli-config"))
      visit(path.join(dataDir, entry.name));
  }
  return files;
}

interface Attempt {
  ok: boolean;
  error?: string;
  value?: unknown;
}

/** Where the platform keeps the secret the API and the builder share. */
const builderSecretFile = () => path.join(t.dataDir, "secrets", SECRET_FILES.builderSecret);

describe.skipIf(!asRoot)(
  "hostile builds cannot read the platform or the host (needs root, as CI and npm start)",
  () => {
    beforeAll(async () => {
      await git.start();
      t = await startTestPlatform();
      await loginAdmin(t);
      builderSecret = readFileSync(builderSecretFile(), "utf8").trim();
      adminToken = (
        JSON.parse(readFileSync(path.join(t.configDir, "config.json"), "utf8")) as { token: string }
      ).token;
      rootOnly = rootOnlyFolder("root-files");
      sentinel = startSentinel(sentinelMarker, sentinelEnv);

      await builds.start(
        "hostile-data-folder",
        attackRepo(
          "hostile-data-folder",
          { dataDir: t.dataDir, files: platformFiles(t.dataDir) },
          `result.listing = attempt(() => fs.readdirSync(input.dataDir));
  result.stateListing = attempt(() => fs.readdirSync(path.join(input.dataDir, "state"), { recursive: true }));
  const found = result.listing.ok ? result.listing.value.map((name) => path.join(input.dataDir, name)) : [];
  result.reads = {};
  for (const file of [...input.files, ...found.filter((f) => /secret/.test(f))]) {
    const read = attempt(() => fs.readFileSync(file));
    result.reads[file] = read.ok ? { ok: true, text: read.value.subarray(0, 4096).toString("latin1") } : read;
  }`,
        ),
      );
      await builds.start(
        "hostile-proc",
        attackRepo(
          "hostile-proc",
          {},
          `result.processes = [];
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\\d+$/.test(name))) {
    const read = (file) => {
      const got = attempt(() => fs.readFileSync(\`/proc/\${pid}/\${file}\`).toString("latin1").replaceAll("\\0", " "));
      return got.ok ? got.value : null;
    };
    result.processes.push({ pid: Number(pid), cmdline: read("cmdline"), environ: read("environ") });
  }`,
        ),
      );
      await builds.start(
        "hostile-root-files",
        attackRepo(
          "hostile-root-files",
          { file: rootOnly.file, dir: rootOnly.dir },
          `result.shadow = attempt(() => fs.readFileSync("/etc/shadow", "utf8"));
  result.rootFile = attempt(() => fs.readFileSync(input.file, "utf8"));
  result.rootFolder = attempt(() => fs.readdirSync(input.dir));
  result.rootHome = attempt(() => fs.readdirSync("/root"));`,
        ),
      );
      const site = (name: string) => plainSite(name, "<p>detected</p>");
      await builds.start("hostile-nvmrc", { ...site("hostile-nvmrc"), links: { ".nvmrc": "/etc/shadow" } });
      await builds.start("hostile-node-version", {
        ...site("hostile-node-version"),
        links: { ".node-version": "/proc/self/environ" },
      });
      await builds.start("hostile-package-json", {
        files: { "build.js": site("x").files?.["build.js"] ?? "" },
        links: { "package.json": builderSecretFile() },
      });
      await builds.start(
        "hostile-stray-writes",
        attackRepo(
          "hostile-stray-writes",
          { paths: strayWrites },
          `result.writes = {};
  for (const file of input.paths) result.writes[file] = attempt(() => fs.writeFileSync(file, "left by a build"));`,
        ),
      );
      await builds.start("hostile-npm-install", {
        files: {
          "package.json": packageJson("hostile-npm-install", { "is-number": "7.0.0" }),
          "package-lock.json": IS_NUMBER_LOCK,
          "build.js": `const isNumber = require("is-number");\nrequire("node:fs").mkdirSync("dist", { recursive: true });\nrequire("node:fs").writeFileSync("dist/index.html", "<p>is-number says " + isNumber(42) + "</p>");\n`,
        },
      });
    }, 300_000);

    afterAll(async () => {
      if (sentinel?.pid) process.kill(sentinel.pid, "SIGKILL");
      for (const file of strayWrites) rmSync(file, { force: true });
      if (rootOnly) rmSync(rootOnly.dir, { recursive: true, force: true });
      await t?.stop();
      git.stop();
    });

    it("a build can neither list the data folder nor read its D1, R2, Durable Object, secret or token files", async () => {
      const build = await builds.of("hostile-data-folder");
      const result = await deployedResult<{
        listing: Attempt;
        stateListing: Attempt;
        reads: Record<string, Attempt>;
      }>(t, "hostile-data-folder", build);
      expect(Object.keys(result.reads).length, "the test found no platform file to aim at").toBeGreaterThan(
        2,
      );
      expect(result.listing.ok, JSON.stringify(result.listing)).toBe(false);
      expect(result.stateListing.ok, JSON.stringify(result.stateListing).slice(0, 2000)).toBe(false);
      const read = Object.entries(result.reads)
        .filter(([, attempt]) => attempt.ok)
        .map(([file]) => file);
      expect(read, "files of the data folder the build read").toEqual([]);
      const text = JSON.stringify(result);
      expect(text.includes(builderSecret), "the builder secret is in the build's output").toBe(false);
      expect(text.includes(adminToken), "the admin's API token is in the build's output").toBe(false);
    }, 300_000);

    it("no process a build can see holds a platform secret, and it sees only its own processes", async () => {
      const build = await builds.of("hostile-proc");
      const result = await deployedResult<{
        processes: { pid: number; cmdline: string | null; environ: string | null }[];
      }>(t, "hostile-proc", build);
      expect(result.processes.length, "the build saw no process at all, not even itself").toBeGreaterThan(0);
      const secrets = [
        builderSecret,
        "BUILDER_SECRET",
        "BUILDER_PORT=",
        sentinelEnv.HOSTILE_SENTINEL_SECRET,
        ...STORAGE_VARIABLES.map((name) => `${name}=`),
      ];
      const leaks = result.processes.flatMap(({ pid, cmdline, environ }) => {
        const seen = `${cmdline ?? ""} ${environ ?? ""}`;
        const found = secrets.filter((secret) => seen.includes(secret));
        if (/mbd_[a-z2-7]{40}/i.test(seen)) found.push("a callback token");
        return found.map(
          (secret) => `pid ${pid} shows ${secret === builderSecret ? "the builder secret" : secret}`,
        );
      });
      expect(leaks).toEqual([]);
      const outsiders = result.processes
        .filter(({ cmdline }) =>
          [
            sentinelMarker,
            "workerd",
            "containers/builder/src/main.ts",
            "vitest",
            "git-daemon",
            "git daemon",
          ].some((mark) => cmdline?.includes(mark)),
        )
        .map(({ pid, cmdline }) => `${pid}: ${cmdline}`);
      expect(outsiders, "processes outside the build that it can see").toEqual([]);
    }, 300_000);

    it("a build cannot read /etc/shadow, a root-only file, or list a root-only folder or /root", async () => {
      const build = await builds.of("hostile-root-files");
      const result = await deployedResult<Record<string, Attempt>>(t, "hostile-root-files", build);
      for (const what of ["shadow", "rootFile", "rootFolder", "rootHome"])
        expect(result[what]?.ok, `${what}: ${JSON.stringify(result[what])}`).toBe(false);
      expect(JSON.stringify(result).includes(rootOnly.secret)).toBe(false);
    }, 300_000);

    it("detection does not follow a committed link to /etc/shadow, /proc/self/environ or the builder secret into the log", async () => {
      const shadowLines = readFileSync("/etc/shadow", "utf8")
        .split("\n")
        .filter((line) => line.includes(":"))
        .map((line) => `${line.split(":").slice(0, 2).join(":")}:`);
      for (const name of ["hostile-nvmrc", "hostile-node-version", "hostile-package-json"]) {
        const build = await builds.of(name);
        const seen = `${build.errorMessage ?? ""}\n${build.log}`;
        expect(build.log.length, `${name} has no log`).toBeGreaterThan(0);
        expect(
          shadowLines.filter((line) => seen.includes(line)),
          `${name}: lines of /etc/shadow in the log\n${describeBuild(build)}`,
        ).toEqual([]);
        expect(seen, `${name}: an environment in the log`).not.toMatch(
          /\b(?:BUILDER|MIAOBU)_[A-Z0-9_]+=|\b(?:PATH|HOME)=\//,
        );
        expect(seen.includes(builderSecret), `${name}: the builder secret in the log`).toBe(false);
      }
    }, 300_000);

    it("files a build writes to /tmp, /var/tmp or /dev/shm do not outlive it on the host", async () => {
      const build = await builds.of("hostile-stray-writes");
      expect(["ready", "failed"], describeBuild(build)).toContain(build.status);
      const left = strayWrites.filter((file) => statSync(file, { throwIfNoEntry: false }) !== undefined);
      expect(left, "files the build left on the host").toEqual([]);
    }, 300_000);

    it("a build may still install a real dependency from the npm registry and deploy a site", async () => {
      const build = await builds.of("hostile-npm-install");
      expect(build.status, describeBuild(build)).toBe("ready");
      expect(build.log).toMatch(/npm install/);
      await expectSiteBody(t, "hostile-npm-install.localhost", "/", "<p>is-number says true</p>");
    }, 300_000);
  },
);

/** The lockfile of a project depending on is-number@7.0.0 exactly, as npm 7+ writes it. */
const IS_NUMBER_LOCK = isNumberNpmLock("hostile-npm-install", "1.0.0");
