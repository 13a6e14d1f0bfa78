// `npm run bench`: runs every benchmark in bench/ and writes the figures to docs/PERFORMANCE.md.
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../scripts/platform.ts";
import { apiSection, runApiBench } from "./api.ts";
import { buildBenchOptions, runBuildBench } from "./build.ts";
import { buildSection, replaceBuildSection } from "./build-report.ts";
import { FILES, runDeployBench, TOTAL_BYTES } from "./deploy.ts";
import { median } from "./load.ts";
import { routerBenchOptions, routerSection, runRouterBench } from "./router.ts";
import { runStorageBench, storageBenchOptions, storageSection } from "./storage.ts";

const iterations = Number(process.env.MIAOBU_BENCH_ROUNDS ?? "3");

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const machine = `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const performancePath = path.join(ROOT, "docs/PERFORMANCE.md");
const buildOptions = buildBenchOptions();

// `node bench/run.ts build`: bench/build alone, replacing only its section of docs/PERFORMANCE.md.
if (process.argv[2] === "build") {
  console.log(`bench/build: ${buildOptions.rounds} round(s) of ${buildOptions.starters.join(", ")}`);
  const builds = await runBuildBench(buildOptions, (line) => console.log(`  ${line}`));
  const before = await fs.readFile(performancePath, "utf8");
  await fs.writeFile(performancePath, replaceBuildSection(before, buildSection(builds, machine, date)));
  execFileSync(path.join(ROOT, "node_modules/.bin/biome"), ["format", "--write", performancePath], {
    stdio: "ignore",
  });
  console.log(
    `wrote the bench/build section of docs/PERFORMANCE.md (${(builds.durationMs / 60_000).toFixed(1)} min)`,
  );
  process.exit(0);
}

console.log(`bench/deploy: ${iterations} rounds`);
const samples = await runDeployBench(iterations, (line) => console.log(`  ${line}`));
const full = median(samples.map((s) => s.fullMs));
const changed = median(samples.map((s) => s.changedMs));
const unchanged = median(samples.map((s) => s.unchangedMs));

const rows = samples
  .map(
    (s, i) =>
      `| ${i + 1} | ${seconds(s.fullMs)} | ${s.fullFiles} / ${mb(s.fullBytes)} | ${seconds(s.changedMs)} | ${s.changedFiles} / ${s.changedBytes} B | ${seconds(s.unchangedMs)} |`,
  )
  .join("\n");

const doc = `# Performance

Written by \`npm run bench\` (bench/run.ts); do not edit by hand. The machines are shared and noisy:
read the medians and the ratios, not single figures.

- Date: ${date}
- Machine: ${machine}

## bench/deploy: deploying a folder with the CLI

A generated site of ${FILES.toLocaleString("en")} files (${mb(TOTAL_BYTES)}: mostly 1–3 KB text, some
10–25 KB fonts, a hundred 50–140 KB images) deployed with \`miaobu deploy --json\` to the local platform
(\`npm start\`'s Workers in workerd), on a fresh project each round. Each time includes the CLI's start,
hashing every file, the API calls and the uploads.

The peer, measured in the same run: **the full upload**, which is what a platform that does not hash
files (like the Python platform Miaobu replaces) pays on every deploy.

| | median of ${samples.length} |
|---|---|
| full upload (the peer) | ${seconds(full)} |
| redeploy, one file changed | ${seconds(changed)} |
| redeploy, nothing changed | ${seconds(unchanged)} |
| **full upload ÷ one-file redeploy** | **${(full / changed).toFixed(1)}×** |

| round | full upload | uploaded | one file changed | uploaded | nothing changed |
|---|---|---|---|---|---|
${rows}
`;

const routerOptions = routerBenchOptions();
console.log(
  `bench/router: ${routerOptions.seconds} s per endpoint, ${routerOptions.connections} connections`,
);
const router = await runRouterBench((line) => console.log(`  ${line}`), routerOptions);

console.log(`bench/build: ${buildOptions.rounds} round(s) of ${buildOptions.starters.join(", ")}`);
const builds = await runBuildBench(buildOptions, (line) => console.log(`  ${line}`));

console.log("bench/api");
const apiResult = await runApiBench((line) => console.log(`  ${line}`));

const storageOptions = storageBenchOptions(iterations);
console.log(`bench/storage: ${storageOptions.files} files × ${storageOptions.bytes} B, ${iterations} rounds`);
const storageResult = await runStorageBench(storageOptions, (line) => console.log(`  ${line}`));

await fs.writeFile(
  performancePath,
  doc +
    routerSection(router) +
    buildSection(builds, machine, date) +
    apiSection(apiResult) +
    storageSection(storageResult),
);
// Aligned tables, as `npm run check` (Biome) wants every Markdown file.
execFileSync(path.join(ROOT, "node_modules/.bin/biome"), ["format", "--write", performancePath], {
  stdio: "ignore",
});
console.log(
  `full ${seconds(full)}, one file changed ${seconds(changed)} (${(full / changed).toFixed(1)}× faster)`,
);
console.log("wrote docs/PERFORMANCE.md");
