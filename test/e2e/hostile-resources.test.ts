// Hostile builds and the host's resources (issue 13): the dependency cache through a symlinked root dir
// (finding C2), filling the disk, a fork bomb, and processes left running. Each attack is bounded so that
// it cannot harm the machine even where nothing contains it.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitServer } from "../../containers/builder/test/harness.ts";
import {
  expectSiteBody,
  getSite,
  loginAdmin,
  startTestPlatform,
  type TestPlatform,
} from "../support/platform.ts";
import { buildOnce, createProject, deployedResult, describeBuild, StartedBuilds } from "./hostile/builds.ts";
import {
  filesTakingAtLeast,
  killProcessesWith,
  nonce,
  processesLeftWith,
  rootOnlyFolder,
  snapshotTree,
} from "./hostile/host.ts";
import { attackRepo, commitRepo, packageJson, plainSite } from "./hostile/repos.ts";

const asRoot = process.getuid?.() === 0;
/** The limits this suite gives the builder (`BUILDER_DISK_MB`, `BUILDER_PROCESSES`). */
const DISK_MB = 512;
const PROCESSES = 256;
/** The attacks' own bounds, harmless to this machine without any sandbox. */
const FILL_MB = 800;
const FORK_AT_MOST = 3000;

let t: TestPlatform;
const git = new GitServer();
const run = nonce();
// `sleep` takes only numbers, so the fork bomb's marker is a duration of its own.
const forkMarker = `30.000${Number.parseInt(run, 16) % 1_000_000_000}`;
const leftMarker = `hostile-left-${run}`;
const builds = new StartedBuilds(() => t, git);
const startFiles = (name: string, files: Record<string, string>, rootDir?: string) =>
  builds.start(name, { files }, rootDir);
const savedEnv = { disk: process.env.BUILDER_DISK_MB, processes: process.env.BUILDER_PROCESSES };
let cacheTarget: ReturnType<typeof rootOnlyFolder>;
let cacheTargetBefore: Record<string, string>;

/** The same bytes at the repository root and in app/: after app/ becomes a link, the root one keys the cache. */
const EMPTY_LOCK = `${JSON.stringify({ name: "hostile-cache", lockfileVersion: 3, requires: true, packages: { "": { name: "hostile-cache" } } }, null, 2)}\n`;

describe.skipIf(!asRoot)(
  "hostile builds cannot exhaust or outlive into the host (needs root, as CI and npm start)",
  () => {
    beforeAll(async () => {
      process.env.BUILDER_DISK_MB = String(DISK_MB);
      process.env.BUILDER_PROCESSES = String(PROCESSES);
      await git.start();
      t = await startTestPlatform();
      await loginAdmin(t);
      cacheTarget = rootOnlyFolder("cache-target");
      // A package.json makes the folder look like a project, so detection finds something to install.
      writeFileSync(path.join(cacheTarget.dir, "package.json"), packageJson("root-only"), { mode: 0o644 });
      cacheTargetBefore = snapshotTree(cacheTarget.dir);

      await startFiles(
        "hostile-cache",
        {
          "package-lock.json": EMPTY_LOCK,
          "app/package.json": packageJson("hostile-cache"),
          "app/package-lock.json": EMPTY_LOCK,
          "app/build.js": `const fs = require("node:fs");
fs.mkdirSync("node_modules/X", { recursive: true });
fs.writeFileSync("node_modules/X/owned.txt", "written by a build");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.html", "<p>cache 1</p>");
`,
        },
        "app",
      );
      await startFiles(
        "hostile-disk",
        attackRepo(
          "hostile-disk",
          { totalMb: FILL_MB },
          `const chunk = Buffer.alloc(1024 * 1024, 7);
  fs.mkdirSync("fill", { recursive: true });
  let written = 0;
  try {
    // Files of 100 MB: the disk must run out, not the per-file size limit.
    for (let part = 0; written < input.totalMb; part++) {
      const fd = fs.openSync(\`fill/part-\${part}.bin\`, "w");
      try {
        for (let i = 0; i < 100 && written < input.totalMb; i++, written++) fs.writeSync(fd, chunk);
      } finally {
        fs.closeSync(fd);
      }
    }
  } catch (error) {
    console.error(\`stopped after \${written} MB: \${error.message}\`);
    process.exit(1);
  }
  result.writtenMb = written;`,
        ).files ?? {},
      );
      await startFiles(
        "hostile-fork",
        attackRepo(
          "hostile-fork",
          { marker: forkMarker, atMost: FORK_AT_MOST },
          `result.spawned = 0;
  result.refused = 0;
  for (let i = 0; i < input.atMost && result.refused < 20; i++) {
    const child = child_process.spawn("sleep", [input.marker], { stdio: "ignore" });
    // The build ends when the script does; its sleeps must not keep it waiting.
    child.unref();
    child.on("error", (error) => {
      result.firstError = result.firstError || error.code;
    });
    if (child.pid === undefined) result.refused++;
    else result.spawned++;
  }
  await new Promise((resolve) => setImmediate(resolve));
  console.log(\`started \${result.spawned} processes, refused \${result.refused} (\${result.firstError})\`);`,
        ).files ?? {},
      );
      await startFiles(
        "hostile-left-behind",
        attackRepo(
          "hostile-left-behind",
          { marker: leftMarker },
          `const options = { detached: true, stdio: "ignore" };
  const started = [
    child_process.spawn("setsid", ["sh", "-c", "sleep 600; true", input.marker], options),
    child_process.spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)", input.marker], options),
    child_process.spawn("sh", ["-c", "(sleep 600; true) & true", input.marker], options),
  ];
  for (const child of started) {
    child.on("error", () => undefined);
    child.unref();
  }
  result.started = started.map((child) => child.pid);`,
        ).files ?? {},
      );
    }, 300_000);

    afterAll(async () => {
      killProcessesWith(forkMarker);
      killProcessesWith(leftMarker);
      if (cacheTarget) rmSync(cacheTarget.dir, { recursive: true, force: true });
      await t?.stop();
      git.stop();
      if (savedEnv.disk === undefined) delete process.env.BUILDER_DISK_MB;
      else process.env.BUILDER_DISK_MB = savedEnv.disk;
      if (savedEnv.processes === undefined) delete process.env.BUILDER_PROCESSES;
      else process.env.BUILDER_PROCESSES = savedEnv.processes;
    });

    it("a root dir that becomes a link never lets the cache write to, or delete from, the folder it points to", async () => {
      const first = await builds.of("hostile-cache");
      expect(first.status, describeBuild(first)).toBe("ready");
      // Build 1's workspace, node_modules and all, is kept as the branch's cache for build 2.
      await commitRepo(
        git,
        "hostile-cache",
        { remove: ["app"], links: { app: cacheTarget.dir } },
        "app → a root folder",
      );
      const second = await buildOnce(t, "hostile-cache");
      expect(["ready", "failed"], describeBuild(second)).toContain(second.status);
      expect(
        snapshotTree(cacheTarget.dir),
        `the root-only folder changed during\n${describeBuild(second)}`,
      ).toEqual(cacheTargetBefore);
    }, 300_000);

    it("a build that fills its disk fails, saying so, and leaves nothing on the host's disk", async () => {
      const build = await builds.of("hostile-disk");
      expect(build.status, describeBuild(build)).toBe("failed");
      expect(build.errorMessage, "the error names the disk limit").toMatch(/disk|no space/i);
      // The builder's folders: in the data folder, or (as root) a folder of /tmp named after it.
      const folders = [t.dataDir, t.platform.builderDir];
      const big = () => folders.flatMap((folder) => filesTakingAtLeast(folder, 100 * 1024 * 1024));
      // The builder removes a build's filesystem just after reporting its end.
      const deadline = Date.now() + 30_000;
      let left = big();
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        left = big();
      }
      expect(left, "files of 100 MB or more left in the platform's folders").toEqual([]);
    }, 300_000);

    it(`a fork bomb is held to BUILDER_PROCESSES (${PROCESSES}) and none of its processes outlives the build`, async () => {
      const build = await builds.of("hostile-fork");
      expect(["ready", "failed"], describeBuild(build)).toContain(build.status);
      if (build.status === "failed") {
        expect(build.errorMessage, "the error names the process limit").toMatch(/process/i);
      } else {
        const result = await deployedResult<{ spawned: number; refused: number }>(t, "hostile-fork", build);
        expect(result.refused, "the limit refused some of the processes").toBeGreaterThan(0);
        expect(result.spawned).toBeLessThan(PROCESSES);
      }
      expect(await processesLeftWith(forkMarker)).toEqual([]);
    }, 300_000);

    it("no process a build starts (setsid, detached, backgrounded) is left running once it is ready", async () => {
      const build = await builds.of("hostile-left-behind");
      expect(build.status, describeBuild(build)).toBe("ready");
      expect(await processesLeftWith(leftMarker)).toEqual([]);
    }, 300_000);

    it("after the disk and fork attacks the platform is healthy and builds the next site", async () => {
      await Promise.all([builds.of("hostile-disk"), builds.of("hostile-fork")]);
      const health = await fetch(`${t.platform.apiUrl}/healthz`);
      expect(health.status).toBe(200);
      await commitRepo(git, "after-attacks", plainSite("after-attacks", "<p>still building</p>"), "plain");
      await createProject(t, "after-attacks", git.url("after-attacks"));
      const build = await buildOnce(t, "after-attacks");
      expect(build.status, describeBuild(build)).toBe("ready");
      await expectSiteBody(t, "after-attacks.localhost", "/", "<p>still building</p>");
      expect((await getSite(t, "hostile-cache.localhost", "/")).status).toBe(200);
    }, 300_000);
  },
);
