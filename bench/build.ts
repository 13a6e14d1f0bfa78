// bench/build: real starters (Docusaurus, Vite) built bare on this machine (the limit) and by Miaobu's
// builder from git, cold and warm, with each build's phases; and how long a log line takes from the
// build's stdout to a WebSocket client.
import { cpSync, rmSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { resolveToolchain } from "../containers/builder/src/toolchain.ts";
import { GitServer } from "../containers/builder/test/harness.ts";
import {
  loginAdmin,
  runCli,
  savedToken,
  startTestPlatform,
  type TestPlatform,
} from "../test/support/platform.ts";
import {
  type BuildBenchResult,
  parseBuildDone,
  type Sample,
  type ScenarioId,
  type StarterResult,
  toolsInLog,
} from "./build-report.ts";
import {
  bumpDependency,
  editSource,
  generateStarters,
  makeHome,
  mustRun,
  STARTER_IDS,
  type Starter,
  type Tools,
} from "./build-starters.ts";

export interface BuildBenchOptions {
  rounds: number;
  starters: string[];
}

/**
 * `MIAOBU_BENCH_BUILD_ROUNDS` (default 2, about 15 minutes on 2 busy cores; 1 for a quick run) and
 * `MIAOBU_BENCH_BUILD_STARTERS` (default `docusaurus,vite`; `vite` alone takes 2 minutes).
 */
export function buildBenchOptions(env: NodeJS.ProcessEnv = process.env): BuildBenchOptions {
  const rounds = Number(env.MIAOBU_BENCH_BUILD_ROUNDS ?? "2");
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("MIAOBU_BENCH_BUILD_ROUNDS must be 1 or more");
  const starters = (env.MIAOBU_BENCH_BUILD_STARTERS ?? STARTER_IDS.join(",")).split(",").map((s) => s.trim());
  for (const id of starters)
    if (!STARTER_IDS.includes(id as Starter["id"]))
      throw new Error(`MIAOBU_BENCH_BUILD_STARTERS: unknown starter ${id} (${STARTER_IDS.join(", ")})`);
  return { rounds, starters };
}

/** A build that prints its own clock every 20 ms, so a client can measure how late each line arrives. */
function clockSite(): Record<string, string> {
  return {
    "package.json": JSON.stringify({ name: "clock", private: true, scripts: { build: "node clock.js" } }),
    "clock.js": [
      "const fs = require('node:fs');",
      "let n = 0;",
      "const timer = setInterval(() => {",
      "  console.log('CLOCK ' + Date.now());",
      "  if (++n === 200) { clearInterval(timer); fs.mkdirSync('dist'); fs.writeFileSync('dist/index.html', 'ok'); }",
      "}, 20);",
    ].join("\n"),
  };
}

// What the previous build left running (a workspace being kept) must not be timed with the next one.
const settle = () => new Promise((resolve) => setTimeout(resolve, 2_000));

/** `npm install` then `npm run build` in `dir`, each timed, as the bare (no platform) reference. */
async function bareBuild(dir: string, env: Record<string, string>): Promise<Sample> {
  await settle();
  const install = await mustRun("npm", ["install"], { cwd: dir, env });
  const build = await mustRun("npm", ["run", "build"], { cwd: dir, env });
  return {
    ms: install.ms + build.ms,
    phases: [
      { name: "install", ms: install.ms },
      { name: "build", ms: build.ms },
    ],
  };
}

/** Bare cold (a fresh copy, an empty npm cache) then bare warm (one file changed) of a starter. */
async function bareRound(starter: Starter, work: string, tools: Tools, tag: string) {
  const dir = path.join(work, starter.id);
  await fs.cp(starter.dir, dir, { recursive: true });
  const cache = path.join(work, "npm-cache");
  const home = await makeHome(path.join(work, "home"));
  await fs.mkdir(cache, { recursive: true });
  const env = { PATH: tools.path, HOME: home, CI: "1", npm_config_cache: cache };
  const cold = await bareBuild(dir, env);
  await editSource(starter, dir, `${tag}, bare`);
  const warm = await bareBuild(dir, env);
  return { cold, warm };
}

interface Miaobu {
  t: TestPlatform;
  git: GitServer;
  tools: Tools;
  stamp: string;
  noCache: boolean;
}

async function createProject(m: Miaobu, name: string, repo: string): Promise<string> {
  const project = `${name}-${m.stamp}`;
  const created = await runCli(m.t, ["projects", "create", project, "--git", m.git.url(repo)]);
  if (created.code !== 0) throw new Error(`miaobu projects create failed: ${created.stderr}`);
  return project;
}

/** `miaobu trigger <project> --follow`, timed from the trigger to `ready`, with the phases its log reports. */
async function trigger(
  m: Miaobu,
  project: string,
  extra: string[] = [],
): Promise<{ sample: Sample; log: string }> {
  await settle();
  const started = performance.now();
  const res = await runCli(m.t, ["trigger", project, "--follow", ...extra]);
  const ms = performance.now() - started;
  if (res.code !== 0)
    throw new Error(`the build of ${project} failed:\n${res.stdout.slice(-8_000)}\n${res.stderr}`);
  const done = parseBuildDone(res.stdout);
  return {
    sample: { ms, phases: done?.phases ?? [] },
    log: res.stdout,
  };
}

/** Every Miaobu scenario of one round of a starter, each build on the local platform. */
async function miaobuRound(m: Miaobu, starter: Starter, work: string, round: number) {
  const samples: Partial<Record<ScenarioId, Sample>> = {};
  const tag = `round ${round + 1}`;
  // The bench's copy of the repository, where the changes are made (and the lockfile updated) first.
  const copy = path.join(work, "repo");
  await fs.cp(starter.dir, copy, { recursive: true });
  const repo = `${starter.id}-${round}`;
  await m.git.commit(repo, {}, "the starter", (dir) => cpSync(starter.dir, dir, { recursive: true }));
  const project = await createProject(m, `${starter.id}-${round}`, repo);
  const cold = await trigger(m, project);
  samples.cold = cold.sample;

  const [file, text] = await editSource(starter, copy, `${tag}, Miaobu`);
  await m.git.commit(repo, { [file]: text }, "change a page");
  samples.warm = (await trigger(m, project)).sample;

  const bumped = await bumpDependency(starter, copy, m.tools, path.join(work, "home"));
  await m.git.commit(repo, bumped, `${starter.bump.name} ${starter.bump.version}`);
  samples.bump = (await trigger(m, project)).sample;

  if (m.noCache) samples.noCache = (await trigger(m, project, ["--no-cache"])).sample;

  const noLock = `${starter.id}-${round}-nolock`;
  await m.git.commit(noLock, {}, "the starter without its lockfile", (dir) => {
    cpSync(starter.dir, dir, { recursive: true });
    rmSync(path.join(dir, "package-lock.json"));
  });
  const noLockProject = await createProject(m, `${starter.id}-${round}-nolock`, noLock);
  samples.noLockCold = (await trigger(m, noLockProject)).sample;
  await m.git.commit(noLock, { [file]: text }, "change a page");
  samples.noLockWarm = (await trigger(m, noLockProject)).sample;
  return { samples, tools: toolsInLog(cold.log) };
}

/** Connects to the live log of the latest deployment of `project` and records each CLOCK line's delay. */
async function measureLogLatency(t: TestPlatform, project: string): Promise<number[]> {
  const auth = await savedToken(t);
  const trigger = await fetch(`${t.platform.apiUrl}/api/v1/projects/${project}/builds`, {
    method: "POST",
    headers: { Authorization: `Bearer ${auth}`, "Content-Type": "application/json" },
    body: "{}",
  });
  const { deployment } = (await trigger.json()) as { deployment: { id: string } };
  const url = `${t.platform.apiUrl.replace("http", "ws")}/api/v1/deployments/${deployment.id}/logs/ws?token=${auth}`;
  const latencies: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error("the log did not end within 120 s")), 120_000);
    ws.onmessage = (event) => {
      const now = Date.now();
      const message = JSON.parse(String(event.data)) as
        | { type: "batch"; lines: { text: string }[] }
        | { type: "end"; status: string };
      if (message.type === "end") {
        clearTimeout(timer);
        ws.close();
        resolve();
        return;
      }
      for (const line of message.lines) {
        const match = /^CLOCK (\d+)$/.exec(line.text.trim());
        if (match) latencies.push(now - Number(match[1]));
      }
    };
    ws.onerror = () => reject(new Error("the log WebSocket failed"));
  });
  return latencies;
}

const secs = (sample: Sample | undefined) => (sample ? `${(sample.ms / 1000).toFixed(1)} s` : "–");

/** Generates the starters, runs every scenario `rounds` times for each, then one log-latency build. */
export async function runBuildBench(
  options: BuildBenchOptions,
  log: (line: string) => void,
): Promise<BuildBenchResult> {
  const began = performance.now();
  // The bench's own npm cache (scaffolders, lockfiles) is kept between runs; each run's folders are not.
  const base = path.join(os.tmpdir(), "miaobu-bench-build");
  await fs.mkdir(base, { recursive: true });
  const runDir = await fs.mkdtemp(path.join(base, "run-"));
  const toolchain = await resolveToolchain({
    nodeVersion: null,
    packageManager: "npm",
    packageManagerVersion: null,
    toolsDir: path.join(base, "tools"),
    log: () => {},
  });
  const tools: Tools = {
    path: toolchain.pathDirs.join(":"),
    nodeVersion: toolchain.nodeVersion,
    npmVersion: toolchain.packageManager.replace(/^npm@/, ""),
    npmCache: path.join(base, "npm-cache"),
  };
  const git = new GitServer();
  let t: TestPlatform | undefined;
  try {
    const starters = await generateStarters(options.starters, path.join(runDir, "starters"), tools, log);
    await git.start();
    t = await startTestPlatform();
    await loginAdmin(t);
    const help = await runCli(t, ["trigger", "--help"]);
    const noCache = `${help.stdout}${help.stderr}`.includes("--no-cache");
    if (!noCache) log("miaobu trigger has no --no-cache: that build is skipped");
    const m: Miaobu = { t, git, tools, stamp: Date.now().toString(36), noCache };
    const results: StarterResult[] = starters.map((starter) => ({
      id: starter.id,
      title: starter.title,
      scaffold: starter.scaffold,
      editFile: starter.editFile,
      bump: `\`${starter.bump.name}\` to ${starter.bump.version}`,
      samples: {},
      miaobuTools: "?",
    }));
    for (let round = 0; round < options.rounds; round++) {
      for (const [index, starter] of starters.entries()) {
        const result = results[index];
        if (!result) continue;
        const work = path.join(runDir, `${starter.id}-${round}`);
        await makeHome(path.join(work, "home"));
        // Turns going first, so neither side is the one to find the registry's (or a proxy's) caches warm.
        const bareFirst = round % 2 === 0;
        const bareRun = () => bareRound(starter, path.join(work, "bare"), tools, `round ${round + 1}`);
        const bareBefore = bareFirst ? await bareRun() : undefined;
        const miaobu = await miaobuRound(m, starter, work, round);
        const bare = bareBefore ?? (await bareRun());
        result.miaobuTools = miaobu.tools;
        const samples: Partial<Record<ScenarioId, Sample>> = {
          bareCold: bare.cold,
          bareWarm: bare.warm,
          ...miaobu.samples,
        };
        for (const [id, sample] of Object.entries(samples) as [ScenarioId, Sample][])
          result.samples[id] = [...(result.samples[id] ?? []), sample];
        log(
          `${starter.id} round ${round + 1}: bare cold ${secs(bare.cold)}, warm ${secs(bare.warm)}; Miaobu cold ${secs(samples.cold)}, warm ${secs(samples.warm)}, bump ${secs(samples.bump)}, --no-cache ${secs(samples.noCache)}, no lockfile ${secs(samples.noLockCold)} then ${secs(samples.noLockWarm)}`,
        );
        // A Docusaurus install is hundreds of MB; the next round needs none of it.
        await fs.rm(work, { recursive: true, force: true });
      }
    }
    await git.commit("clock", clockSite(), "clock");
    const clock = await createProject(m, "bench-clock", "clock");
    const latenciesMs = await measureLogLatency(t, clock);
    log(`log latency: ${latenciesMs.length} lines`);
    return {
      rounds: options.rounds,
      starters: results,
      bareTools: `Node ${tools.nodeVersion}, npm ${tools.npmVersion}`,
      noCacheSkipped: noCache ? null : "`miaobu trigger --help` offers no `--no-cache`",
      latenciesMs,
      durationMs: performance.now() - began,
    };
  } finally {
    await t?.stop();
    git.stop();
    if (git.base) await fs.rm(git.base, { recursive: true, force: true });
    await fs.rm(runDir, { recursive: true, force: true });
  }
}
