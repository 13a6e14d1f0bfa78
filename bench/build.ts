// bench/build: trigger → ready for a Vite starter through the real builder, cold and with a warm dependency
// cache, and how long a log line takes from the build's stdout to a WebSocket client.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { GitServer } from "../containers/builder/test/harness.ts";
import {
  loginAdmin,
  runCli,
  savedToken,
  startTestPlatform,
  type TestPlatform,
} from "../test/support/platform.ts";

/** A Vite starter with one dependency pinned; its lockfile is made once by npm. */
function viteStarter(title: string): Record<string, string> {
  return {
    "package.json": JSON.stringify(
      {
        name: "vite-starter",
        private: true,
        type: "module",
        scripts: { build: "vite build" },
        devDependencies: { vite: "7.3.8" },
      },
      null,
      2,
    ),
    "index.html": `<!doctype html><title>${title}</title><div id="app"></div><script type="module" src="/main.js"></script>`,
    "main.js": `document.querySelector("#app").textContent = ${JSON.stringify(title)};`,
  };
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

export interface BuildBenchResult {
  coldMs: number[];
  warmMs: number[];
  latenciesMs: number[];
}

async function timedTrigger(t: TestPlatform, project: string): Promise<number> {
  const started = performance.now();
  const res = await runCli(t, ["trigger", project, "--follow"]);
  if (res.code !== 0) throw new Error(`build failed:\n${res.stdout}\n${res.stderr}`);
  return performance.now() - started;
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

/** Runs `rounds` cold/warm pairs, each on a fresh project, then one log-latency build. */
export async function runBuildBench(rounds: number, log: (line: string) => void): Promise<BuildBenchResult> {
  const git = new GitServer();
  await git.start();
  const t = await startTestPlatform();
  const result: BuildBenchResult = { coldMs: [], warmMs: [], latenciesMs: [] };
  try {
    await loginAdmin(t);
    for (let i = 0; i < rounds; i++) {
      // A different version each round keeps the lockfile (the cache key) new, so the first build is cold.
      const repo = `vite-${i}`;
      const files = viteStarter(`round ${i}`);
      await git.commit(repo, files, "starter", (dir) => {
        execFileSync(
          "npm",
          ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
          {
            cwd: dir,
            stdio: "ignore",
          },
        );
        const lock = JSON.parse(fs.readFileSync(`${dir}/package-lock.json`, "utf8")) as { name: string };
        lock.name = `vite-starter-${i}-${Date.now()}`;
        fs.writeFileSync(`${dir}/package-lock.json`, JSON.stringify(lock, null, 2));
      });
      const project = `bench-build-${i}-${Date.now().toString(36)}`;
      const created = await runCli(t, ["projects", "create", project, "--git", git.url(repo)]);
      if (created.code !== 0) throw new Error(created.stderr);
      const cold = await timedTrigger(t, project);
      await git.commit(repo, { "main.js": `document.body.textContent = "warm ${i}";` }, "change a page");
      const warm = await timedTrigger(t, project);
      result.coldMs.push(cold);
      result.warmMs.push(warm);
      log(`round ${i + 1}: cold ${(cold / 1000).toFixed(1)} s, warm cache ${(warm / 1000).toFixed(1)} s`);
    }
    await git.commit("clock", clockSite(), "clock");
    const created = await runCli(t, ["projects", "create", "bench-clock", "--git", git.url("clock")]);
    if (created.code !== 0) throw new Error(created.stderr);
    result.latenciesMs = await measureLogLatency(t, "bench-clock");
    log(`log latency: ${result.latenciesMs.length} lines`);
  } finally {
    await t.stop();
    git.stop();
  }
  return result;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The bench/build section of docs/PERFORMANCE.md. */
export function buildSection(result: BuildBenchResult): string {
  const cold = percentile(result.coldMs, 50);
  const warm = percentile(result.warmMs, 50);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rows = result.coldMs
    .map((c, i) => `| ${i + 1} | ${s(c)} | ${s(result.warmMs[i] ?? Number.NaN)} |`)
    .join("\n");
  return `
## bench/build: builds from git

A Vite starter (\`vite\` 7.3.8 as its one dependency, with a lockfile) pushed to a local \`git daemon\`,
built by the real builder through \`miaobu trigger --follow\`: the time from the trigger to \`ready\`, including
clone, install, \`vite build\`, hashing, compression, upload and finalize. Each round is a fresh project and
a new lockfile, so the first build has a cold dependency cache; the second build (one source file changed)
restores the cache. The peer is the cold build: what every build costs without a cache.

| | median of ${result.coldMs.length} |
|---|---|
| cold cache (the peer) | ${s(cold)} |
| warm cache | ${s(warm)} |
| **cold ÷ warm** | **${(cold / warm).toFixed(2)}×** (${Math.round((1 - warm / cold) * 100)}% less time) |

| round | cold | warm |
|---|---|---|
${rows}

Live logs: a build prints its own clock every 20 ms; a WebSocket client on
\`/api/v1/deployments/:id/logs/ws\` records how late each line arrives (${result.latenciesMs.length} lines):
p50 **${Math.round(percentile(result.latenciesMs, 50))} ms**, p95 **${Math.round(percentile(result.latenciesMs, 95))} ms**. The builder sends lines in
batches every 250 ms, which sets most of this figure.
`;
}
