// A small HTTP load generator: N keep-alive connections, each sending requests back to back for a fixed time.
import http from "node:http";

export interface LoadTarget {
  port: number;
  /** Host header (the site's hostname). */
  host: string;
  path: string;
  expectStatus: number;
  /** More request headers, e.g. `range`. */
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/** The median of unsorted values (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The q-th quantile (0–1) of sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function once(agent: http.Agent, target: LoadTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: "127.0.0.1",
        port: target.port,
        path: target.path,
        headers: { ...target.headers, host: target.host },
      },
      (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Sends `target` over `connections` keep-alive connections for `durationMs` after a short warm-up. */
export async function runLoad(
  target: LoadTarget,
  connections: number,
  durationMs: number,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  try {
    // Warm-up: opens the connections and fills the server's caches.
    await Promise.all(Array.from({ length: connections }, () => once(agent, target)));
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    const deadline = started + durationMs;
    const worker = async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const status = await once(agent, target);
          if (status !== target.expectStatus) errors++;
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    const elapsed = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length,
      errors,
      rps: (latencies.length / elapsed) * 1000,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
    };
  } finally {
    agent.destroy();
  }
}
