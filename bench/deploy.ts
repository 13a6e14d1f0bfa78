// bench/deploy: a 5,000-file, 30 MB site deployed through the real CLI to the real local platform, then
// redeployed with one file changed. The full upload is the reference: it is what a platform that does not
// hash files (like the Python platform Miaobu replaces) pays on every deploy.
import fs from "node:fs/promises";
import path from "node:path";
import { loginAdmin, runCli, startTestPlatform, type TestPlatform } from "../test/support/platform.ts";

export const FILES = 5_000;
export const TOTAL_BYTES = 30 * 1024 * 1024;

/** Deterministic generator so every run deploys the same site. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the site: mostly small text files, some mid-size assets, a few large images; 30 MB in all. */
export async function generateSite(dir: string): Promise<void> {
  const rand = prng(42);
  // 4,000 files of ~2 KB, 900 of ~15 KB, 100 of ~88 KB: about 30 MB, scaled exactly below.
  const plan: { ext: string; size: number }[] = [];
  for (let i = 0; i < 4_000; i++)
    plan.push({ ext: i % 3 === 0 ? "css" : i % 3 === 1 ? "js" : "html", size: 2_048 });
  for (let i = 0; i < 900; i++) plan.push({ ext: "woff2", size: 15_360 });
  for (let i = 0; i < 100; i++) plan.push({ ext: "png", size: 90_000 });
  const planned = plan.reduce((n, f) => n + f.size, 0);
  const scale = TOTAL_BYTES / planned;
  for (let i = 0; i < plan.length; i++) {
    const file = plan[i];
    if (!file) continue;
    const size = Math.max(1, Math.round(file.size * scale * (0.5 + rand())));
    const body = Buffer.alloc(size);
    for (let j = 0; j < size; j += 4) body.writeUInt32LE((rand() * 0xffffffff) >>> 0, Math.min(j, size - 4));
    const rel = path.join(`section-${i % 50}`, `page-${i}.${file.ext}`);
    await fs.mkdir(path.join(dir, path.dirname(rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), body);
  }
  await fs.writeFile(path.join(dir, "index.html"), "<h1>bench</h1>");
}

export interface DeploySample {
  fullMs: number;
  fullBytes: number;
  fullFiles: number;
  changedMs: number;
  changedBytes: number;
  changedFiles: number;
  unchangedMs: number;
}

interface DeployJson {
  files: number;
  uploadedFiles: number;
  uploadedBytes: number;
}

async function timedDeploy(
  t: TestPlatform,
  dir: string,
  project: string,
): Promise<{ ms: number; json: DeployJson }> {
  const started = performance.now();
  const res = await runCli(t, ["deploy", dir, "--project", project, "--json"]);
  const ms = performance.now() - started;
  if (res.code !== 0) throw new Error(`deploy failed: ${res.stderr}`);
  return { ms, json: JSON.parse(res.stdout) as DeployJson };
}

/** Runs `iterations` rounds, each on a fresh project so the full upload really uploads everything. */
export async function runDeployBench(
  iterations: number,
  log: (line: string) => void,
): Promise<DeploySample[]> {
  const t = await startTestPlatform();
  const samples: DeploySample[] = [];
  try {
    await loginAdmin(t);
    const dir = path.join(t.dataDir, "bench-site");
    log(`generating ${FILES} files (${TOTAL_BYTES / 1024 / 1024} MB)…`);
    await generateSite(dir);
    for (let i = 0; i < iterations; i++) {
      const project = `bench-${i}-${Date.now().toString(36)}`;
      const created = await runCli(t, ["projects", "create", project]);
      if (created.code !== 0) throw new Error(`create failed: ${created.stderr}`);
      const full = await timedDeploy(t, dir, project);
      const unchanged = await timedDeploy(t, dir, project);
      await fs.writeFile(path.join(dir, "index.html"), `<h1>bench ${i}</h1>`);
      const changed = await timedDeploy(t, dir, project);
      const sample: DeploySample = {
        fullMs: full.ms,
        fullBytes: full.json.uploadedBytes,
        fullFiles: full.json.uploadedFiles,
        changedMs: changed.ms,
        changedBytes: changed.json.uploadedBytes,
        changedFiles: changed.json.uploadedFiles,
        unchangedMs: unchanged.ms,
      };
      log(
        `round ${i + 1}: full ${(sample.fullMs / 1000).toFixed(2)} s, one file changed ${(sample.changedMs / 1000).toFixed(2)} s, unchanged ${(sample.unchangedMs / 1000).toFixed(2)} s`,
      );
      samples.push(sample);
    }
  } finally {
    await t.stop();
  }
  return samples;
}
