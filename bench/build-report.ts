// bench/build's figures: the phases a build log reports, and the section of docs/PERFORMANCE.md.
import { median } from "./load.ts";

export interface Phase {
  name: string;
  ms: number;
}

/** One timed build: its wall time as the user waits for it, and the phases it reported. */
export interface Sample {
  ms: number;
  phases: Phase[];
}

export const SCENARIOS = {
  bareCold: "bare, cold: empty npm cache, no node_modules",
  bareWarm: "bare, warm: one file changed, node_modules and caches kept",
  cold: "Miaobu, cold: a new project",
  noCache: "Miaobu, cold: cache refused (`--no-cache`)",
  warm: "Miaobu, warm: one file changed",
  bump: "Miaobu, warm: one dependency's version changed",
  noLockCold: "Miaobu, no lockfile: first build",
  noLockWarm: "Miaobu, no lockfile: second build, one file changed",
} as const;
export type ScenarioId = keyof typeof SCENARIOS;

export interface StarterResult {
  id: string;
  title: string;
  scaffold: string;
  editFile: string;
  bump: string;
  samples: Partial<Record<ScenarioId, Sample[]>>;
  /** Node and npm as the build log reports them. */
  miaobuTools: string;
}

export interface BuildBenchResult {
  rounds: number;
  starters: StarterResult[];
  /** Node and npm of the bare builds. */
  bareTools: string;
  /** Why the `--no-cache` build was skipped, or null when it ran. */
  noCacheSkipped: string | null;
  latenciesMs: number[];
  durationMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, m: 60_000 };

/** A duration as the builder writes it (`850ms`, `0.1 s`, `12.3s`, `2 min`), in milliseconds. */
function duration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|min|m)$/.exec(text.trim());
  const unit = match?.[2];
  return match && unit ? Number(match[1]) * (UNIT_MS[unit] ?? Number.NaN) : null;
}

/**
 * The builder's total and phases from the last `Build done in X: name time · name time …` line of a log.
 * Phase names are whatever the builder calls them.
 */
export function parseBuildDone(log: string): { totalMs: number; phases: Phase[] } | null {
  const lines = log.split("\n").filter((line) => line.includes("Build done in "));
  const line = lines.at(-1);
  const match = line ? /Build done in ([^:]+):(.*)$/.exec(line) : null;
  const totalMs = match?.[1] ? duration(match[1]) : null;
  if (!match || totalMs === null) return null;
  const phases: Phase[] = [];
  for (const part of (match[2] ?? "").split("·")) {
    const pair = /^\s*(.+?)\s+(\d+(?:\.\d+)?\s*(?:ms|s|min|m))\s*$/.exec(part);
    const ms = pair?.[2] ? duration(pair[2]) : null;
    if (pair?.[1] && ms !== null) phases.push({ name: pair[1], ms });
  }
  return { totalMs, phases };
}

/** "Node 22.1.0, npm 11.0.0" from the toolchain notes of a build log. */
export function toolsInLog(log: string): string {
  const node = /^\s*Node (\d+\.\d+\.\d+)/m.exec(log)?.[1] ?? "?";
  const npm = /^\s*npm (\d+\.\d+\.\d+)\s*$/m.exec(log)?.[1] ?? "?";
  return `Node ${node}, npm ${npm}`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "–");
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "–");

function medianOf(samples: Sample[] | undefined, pick: (sample: Sample) => number | undefined): number {
  const values = (samples ?? []).map(pick).filter((v): v is number => v !== undefined);
  return values.length === 0 ? Number.NaN : median(values);
}

const total = (r: StarterResult, id: ScenarioId) => medianOf(r.samples[id], (x) => x.ms);

/** One table per starter: each scenario's median wall time, and its phases in columns. */
function starterTable(r: StarterResult): string {
  const ids = (Object.keys(SCENARIOS) as ScenarioId[]).filter((id) => (r.samples[id]?.length ?? 0) > 0);
  // Miaobu's phases first, in the order its builds report them; the bare builds' install and build
  // then line up under Miaobu's.
  const names: string[] = [];
  for (const id of [
    ...ids.filter((id) => !id.startsWith("bare")),
    ...ids.filter((id) => id.startsWith("bare")),
  ])
    for (const sample of r.samples[id] ?? [])
      for (const p of sample.phases) if (!names.includes(p.name)) names.push(p.name);
  const header = `| build | n | total | ${names.join(" | ")} | everything else |`;
  const rule = `|${" --- |".repeat(names.length + 4)}`;
  const rows = ids.map((id) => {
    const samples = r.samples[id] ?? [];
    const phases = names.map((name) => medianOf(samples, (x) => x.phases.find((p) => p.name === name)?.ms));
    // A bare build's two commands are all of it.
    const rest = id.startsWith("bare")
      ? Number.NaN
      : medianOf(samples, (x) => x.ms - x.phases.reduce((sum, p) => sum + p.ms, 0));
    const label = id.startsWith("bare") ? SCENARIOS[id] : `**${SCENARIOS[id]}**`;
    return `| ${label} | ${samples.length} | **${s(total(r, id))}** | ${phases.map(s).join(" | ")} | ${s(rest)} |`;
  });
  return [header, rule, ...rows].join("\n");
}

interface Goal {
  goal: string;
  measured: number;
  met: boolean;
  how: string;
}

function goals(result: BuildBenchResult): Goal[] {
  const list: Goal[] = [];
  const docusaurus = result.starters.find((r) => r.id === "docusaurus");
  if (docusaurus) {
    const warm = total(docusaurus, "warm") / total(docusaurus, "bareWarm");
    list.push({
      goal: "Docusaurus warm ≤ 1.5× bare warm",
      measured: warm,
      met: warm <= 1.5,
      how: "Miaobu warm ÷ bare warm",
    });
    const cold = total(docusaurus, "cold") / total(docusaurus, "bareCold");
    list.push({
      goal: "Docusaurus cold ≤ 1.2× bare cold",
      measured: cold,
      met: cold <= 1.2,
      how: "Miaobu cold ÷ bare cold",
    });
  }
  for (const r of result.starters) {
    const warm = total(r, "cold") / total(r, "warm");
    list.push({
      goal: `${r.title}: warm ≥ 4× faster than cold`,
      measured: warm,
      met: warm >= 4,
      how: "cold ÷ warm",
    });
    const noLock = total(r, "noLockCold") / total(r, "noLockWarm");
    list.push({
      goal: `${r.title}: no lockfile, second build ≥ 2× faster than its first`,
      measured: noLock,
      met: noLock >= 2,
      how: "first ÷ second",
    });
    const bump = total(r, "cold") / total(r, "bump");
    list.push({
      goal: `${r.title}: dependency bump ≥ 2× faster than cold`,
      measured: bump,
      met: bump >= 2,
      how: "cold ÷ bump",
    });
  }
  return list;
}

/** The bench/build section of docs/PERFORMANCE.md. */
export function buildSection(result: BuildBenchResult, machine: string, date: string): string {
  const p50 = percentile(result.latenciesMs, 50);
  const p95 = percentile(result.latenciesMs, 95);
  const goalRows = goals(result).map(
    (g) =>
      `| ${g.goal} | ${g.how} = **${ratio(g.measured)}** | ${Number.isFinite(g.measured) ? (g.met ? "met" : "**not met**") : "not measured"} |`,
  );
  goalRows.push(
    `| live log p95 < 100 ms | p95 = **${Math.round(p95)} ms** | ${p95 < 100 ? "met" : "**not met**"} |`,
  );
  const starters = result.starters
    .map(
      (r) => `
### ${r.title}

${r.scaffold}. A warm build changes \`${r.editFile}\`; the dependency bump sets ${r.bump}. Tools: bare
${result.bareTools}; Miaobu's builds ${r.miaobuTools}.

${starterTable(r)}
`,
    )
    .join("");
  return `
## bench/build: builds from git, against the same build run bare

Measured ${date} on ${machine}; ${result.rounds} round${result.rounds === 1 ? "" : "s"} (medians), ${(result.durationMs / 60_000).toFixed(0)} min for this section.
Rerun it alone with \`npm run bench -- build\`; \`MIAOBU_BENCH_BUILD_ROUNDS\` (default 2) and
\`MIAOBU_BENCH_BUILD_STARTERS\` (default \`docusaurus,vite\`) make a quicker run.

Real starters, generated at the start of the run by their official scaffolders from the npm registry
(versions pinned) and given a lockfile by \`npm install --package-lock-only\`, as a developer would commit
them. For each starter, in each round:

- **bare** (the limit): a fresh copy of the folder and an empty npm cache, \`npm install\` then
  \`npm run build\` with the Node and npm that Miaobu's builds get (\`CI=1\`, outside any sandbox); then, in
  the same folder, one source file changed and both again, node_modules and the framework's caches present.
- **Miaobu**: the folder committed to a local \`git daemon\` and built by the real builder on the local
  platform with \`miaobu trigger <project> --follow\`, timed from the trigger to \`ready\` (clone, install,
  build, hashing, compression, upload, finalize). Cold is the first build of a new project; warm commits
  one changed file and triggers again; then one dependency's version is changed in package.json and the
  lockfile; ${result.noCacheSkipped === null ? "then `--no-cache` builds the project once more, refusing its cache" : `the cold build that refuses the cache was skipped (${result.noCacheSkipped})`}. A second
  project, whose repository has no lockfile, is built twice, the second time with one file changed.

Bare and Miaobu take turns going first from one round to the next, and every build starts 2 s after the
previous one ended. Phases are the builder's own, from its \`Build done in …\` line (bare builds time their
two commands); "everything else" is the rest of the wall time: queueing, the sandbox, the cache's
bookkeeping, finalizing and the CLI. An install of "–" in a Miaobu row is one the builder skipped: the
cached node_modules were made from the same package.json, lockfile, tools and environment. Files upload
while they compress, so "upload" is only what the upload added after compression ended.

No peer appears here: Cloudflare Pages', Vercel's and Netlify's build systems do not run offline, so the
limit these builds are held to is the same commands run bare on this machine. (For serving, bench/router
compares against Cloudflare's own asset server, which does run offline.)
${starters}
**Goals** (issue 14):

| goal | measured | |
| --- | --- | --- |
${goalRows.join("\n")}

Live logs: a build prints its own clock every 20 ms; a WebSocket client on
\`/api/v1/deployments/:id/logs/ws\` records how late each line arrives (${result.latenciesMs.length} lines):
p50 **${Math.round(p50)} ms**, p95 **${Math.round(p95)} ms**.
`;
}

/** `doc` with its bench/build section (up to the next `## ` heading) replaced by `section`. */
export function replaceBuildSection(doc: string, section: string): string {
  const pattern = /\n## bench\/build[\s\S]*?(?=\n## |$)/;
  if (!pattern.test(doc)) return `${doc.trimEnd()}\n${section}`;
  return doc.replace(pattern, () => `\n${section.trim()}\n`);
}
