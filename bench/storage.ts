// bench/storage: the three storage backends measured from the same place, as ratios against R2 in workerd.
// 1. Throughput: a Worker in workerd (packages/storage/test/bench-worker.ts) writes and reads files through the same
//    `Storage` implementations the API and router use: the R2 binding, SigV4-signed fetch to an S3 server on
//    loopback, OSS-signed fetch to the OSS server on loopback.
// 2. The router's latency reading from each: the local platform on each backend serving a deployed site.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { storageVars } from "../packages/storage/src/config.ts";
import { startOssTestServer } from "../test/support/oss-server.ts";
import { loginAdmin, runCli, startTestPlatform } from "../test/support/platform.ts";
import { startS3TestServer } from "../test/support/s3-server.ts";
import type { TestStoreServer } from "../test/support/store-server.ts";
import { type LoadResult, median, runLoad } from "./load.ts";

export const BACKENDS = ["r2", "s3", "oss"] as const;
type Backend = (typeof BACKENDS)[number];

export interface StorageBenchOptions {
  /** Files per round (MIAOBU_BENCH_STORAGE_FILES, default 300). */
  files: number;
  /** Bytes per file (MIAOBU_BENCH_STORAGE_BYTES, default 16 KiB). */
  bytes: number;
  rounds: number;
  /** Seconds of router load per backend and request (MIAOBU_BENCH_STORAGE_SECONDS, default 5). */
  seconds: number;
  connections: number;
}

export interface Throughput {
  /** Median milliseconds to write (or read) all files of a round. */
  putMs: number;
  getMs: number;
}

export interface BackendResult {
  backend: Backend;
  throughput: Throughput;
  /** A 4 KB page: served from the router's isolate memory after the first read, whatever the backend. */
  routerSmall: LoadResult;
  /** 64 KiB ranges of a 2 MiB file: never kept in memory, so every request reads storage. */
  routerRange: LoadResult;
}

export interface StorageBenchResult {
  options: StorageBenchOptions;
  backends: BackendResult[];
}

export function storageBenchOptions(
  rounds: number,
  env: NodeJS.ProcessEnv = process.env,
): StorageBenchOptions {
  const num = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? Math.round(value) : fallback;
  };
  return {
    files: num("MIAOBU_BENCH_STORAGE_FILES", 300),
    bytes: num("MIAOBU_BENCH_STORAGE_BYTES", 16 * 1024),
    rounds,
    seconds: num("MIAOBU_BENCH_STORAGE_SECONDS", 5),
    connections: 8,
  };
}

async function bundleWorker(dir: string): Promise<string> {
  const outfile = path.join(dir, "storage-worker.js");
  await build({
    entryPoints: [path.join(import.meta.dirname, "../packages/storage/test/bench-worker.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2023",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "warning",
  });
  return outfile;
}

async function measureThroughput(
  servers: Record<"s3" | "oss", TestStoreServer>,
  options: StorageBenchOptions,
  log: (line: string) => void,
): Promise<Record<Backend, Throughput>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-bench-storage-"));
  // Miniflare 4's option shape, converted as scripts/platform.ts does.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath: await bundleWorker(dir),
      modulesRoot: dir,
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      r2Buckets: ["BUCKET"],
      r2Persist: path.join(dir, "r2"),
      bindings: { S3: JSON.stringify(servers.s3.info.config), OSS: JSON.stringify(servers.oss.info.config) },
    } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  try {
    const run = async (backend: Backend, op: "put" | "get", prefix: string) => {
      const query = new URLSearchParams({
        backend,
        op,
        prefix,
        files: String(options.files),
        size: String(options.bytes),
        concurrency: "16",
      });
      const started = performance.now();
      const res = await mf.dispatchFetch(`http://bench.local/?${query}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`${backend} ${op} failed: ${res.status} ${text.slice(0, 300)}`);
      return performance.now() - started;
    };
    const samples = Object.fromEntries(
      BACKENDS.map((b) => [b, { put: [] as number[], get: [] as number[] }]),
    );
    await run("r2", "put", "warm/");
    for (let round = 0; round < options.rounds; round++) {
      // Backends take turns going first, so a noisy moment does not always land on the same one.
      const order = BACKENDS.map((_, i) => BACKENDS[(i + round) % BACKENDS.length] as Backend);
      for (const backend of order) {
        const prefix = `bench/${round}/`;
        const put = await run(backend, "put", prefix);
        const get = await run(backend, "get", prefix);
        samples[backend]?.put.push(put);
        samples[backend]?.get.push(get);
        log(`${backend} round ${round + 1}: put ${put.toFixed(0)} ms, get ${get.toFixed(0)} ms`);
      }
    }
    return Object.fromEntries(
      BACKENDS.map((b) => [
        b,
        { putMs: median(samples[b]?.put ?? []), getMs: median(samples[b]?.get ?? []) },
      ]),
    ) as Record<Backend, Throughput>;
  } finally {
    await mf.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function measureRouter(
  backend: Backend,
  storage: Record<string, string>,
  options: StorageBenchOptions,
  log: (line: string) => void,
): Promise<{ small: LoadResult; range: LoadResult }> {
  const t = await startTestPlatform(undefined, { storage });
  try {
    await loginAdmin(t);
    const site = path.join(t.dataDir, "bench-site");
    await fs.mkdir(site, { recursive: true });
    await fs.writeFile(path.join(site, "index.html"), `<p>${"storage bench ".repeat(290)}</p>`);
    await fs.writeFile(path.join(site, "big.bin"), Buffer.alloc(2 * 1024 * 1024, 7));
    const created = await runCli(t, ["projects", "create", "bench"]);
    if (created.code !== 0) throw new Error(`projects create failed: ${created.stderr}`);
    const deployed = await runCli(t, ["deploy", site, "--project", "bench"]);
    if (deployed.code !== 0) throw new Error(`deploy failed: ${deployed.stderr}`);
    const base = { port: t.routerPort, host: `bench.localhost:${t.routerPort}` };
    const durationMs = options.seconds * 1000;
    const small = await runLoad({ ...base, path: "/", expectStatus: 200 }, options.connections, durationMs);
    const range = await runLoad(
      { ...base, path: "/big.bin", expectStatus: 206, headers: { range: "bytes=1048576-1114111" } },
      options.connections,
      durationMs,
    );
    log(`${backend} router: page p50 ${small.p50Ms.toFixed(2)} ms, range p50 ${range.p50Ms.toFixed(2)} ms`);
    return { small, range };
  } finally {
    await t.stop();
  }
}

export async function runStorageBench(
  options: StorageBenchOptions,
  log: (line: string) => void,
): Promise<StorageBenchResult> {
  const s3 = await startS3TestServer();
  const oss = await startOssTestServer();
  try {
    const throughput = await measureThroughput({ s3, oss }, options, log);
    const backends: BackendResult[] = [];
    for (const backend of BACKENDS) {
      const vars =
        backend === "r2"
          ? { MIAOBU_STORAGE: "r2" }
          : storageVars(backend === "s3" ? s3.info.config : oss.info.config);
      const router = await measureRouter(backend, vars, options, log);
      backends.push({
        backend,
        throughput: throughput[backend],
        routerSmall: router.small,
        routerRange: router.range,
      });
    }
    return { options, backends };
  } finally {
    await s3.close();
    await oss.close();
  }
}

const NAMES: Record<Backend, string> = {
  r2: "R2 in workerd",
  s3: "S3 (s3rver + SigV4-checking proxy)",
  oss: "OSS (our OSS server)",
};

export function storageSection(result: StorageBenchResult): string {
  const { options } = result;
  const r2 = result.backends.find((b) => b.backend === "r2");
  if (!r2) return "";
  const mbps = (ms: number) => ((options.files * options.bytes) / 1024 / 1024 / (ms / 1000)).toFixed(1);
  const fps = (ms: number) => (options.files / (ms / 1000)).toFixed(0);
  const x = (value: number) => `${value.toFixed(2)}×`;
  const throughputRows = result.backends
    .map((b) => {
      const { putMs, getMs } = b.throughput;
      return `| ${NAMES[b.backend]} | ${fps(putMs)} / ${mbps(putMs)} | **${x(r2.throughput.putMs / putMs)}** | ${fps(getMs)} / ${mbps(getMs)} | **${x(r2.throughput.getMs / getMs)}** |`;
    })
    .join("\n");
  const routerRows = result.backends
    .map(
      (b) =>
        `| ${NAMES[b.backend]} | ${b.routerSmall.p50Ms.toFixed(2)} ms | ${x(b.routerSmall.p50Ms / r2.routerSmall.p50Ms)} | ${b.routerRange.p50Ms.toFixed(2)} ms / ${b.routerRange.p99Ms.toFixed(2)} ms | **${x(b.routerRange.p50Ms / r2.routerRange.p50Ms)}** | ${b.routerRange.rps.toFixed(0)} |`,
    )
    .join("\n");
  const errors = result.backends.reduce((n, b) => n + b.routerSmall.errors + b.routerRange.errors, 0);
  return `
## bench/storage: the storage backends, against R2 in workerd

**Throughput.** A Worker in workerd (packages/storage/test/bench-worker.ts) writes ${options.files} files of
${(options.bytes / 1024).toFixed(0)} KiB with 16 at a time, then reads them back, through the same
\`Storage\` implementations the API and router use; medians of ${options.rounds} rounds, the backends taking
turns going first. The S3 and OSS servers are test servers on loopback written in JavaScript, so these
figures measure Miaobu's signing and HTTP path plus those servers, not AWS or Alibaba. Ratios are R2's time ÷
the backend's, so below 1 means slower than R2.

| backend | write files/s / MB/s | write vs R2 | read files/s / MB/s | read vs R2 |
|---|---|---|---|---|
${throughputRows}

**The router reading from each.** The local platform on each backend serving a deployed site, ${options.connections}
keep-alive connections for ${options.seconds} s per request. A 4 KB page is served from the router's isolate
memory after its first read (the control: it should not depend on the backend); 64 KiB ranges of a 2 MiB
file are never kept in memory, so every request reads storage. The S3 and OSS servers run in the
benchmark's own Node process, beside the load generator, so they also take CPU from it. Ratios are the
backend's p50 ÷ R2's, so above 1 means slower than R2.${errors > 0 ? ` **${errors} requests failed or had an unexpected status.**` : ""}

| backend | page p50 | vs R2 | range p50 / p99 | range vs R2 | range req/s |
|---|---|---|---|---|---|
${routerRows}
`;
}
