// bench/api: the API under abuse and under load, on the local platform (the real Workers in workerd).
// 1. Many concurrent clients hammer one identity: how many requests the rate limiter admits, against the
//    limit (must never pass 1.0).
// 2. The limiter's cost: p50/p99 of the same API call with the limiter off and on, as a ratio.
// 3. API p95 for list and get with 1,000 projects and 10,000 deployments.

import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { type Platform, startPlatform } from "../scripts/platform.ts";
import { ADMIN_PASSWORD, freePort } from "../test/support/platform.ts";
import { quantile } from "./load.ts";

export interface ApiBenchOptions {
  /** Projects to seed (MIAOBU_BENCH_API_PROJECTS, default 1,000). */
  projects: number;
  /** Deployments per project (MIAOBU_BENCH_API_DEPLOYMENTS_PER_PROJECT, default 10). */
  deploymentsPerProject: number;
  /** Concurrent abusive clients (MIAOBU_BENCH_API_CLIENTS, default 64). */
  clients: number;
  /** Requests timed per endpoint (MIAOBU_BENCH_API_SAMPLES, default 400). */
  samples: number;
}

export function apiBenchOptions(): ApiBenchOptions {
  const num = (name: string, fallback: number) => {
    const raw = process.env[name];
    return raw ? Math.round(Number(raw)) : fallback;
  };
  return {
    projects: num("MIAOBU_BENCH_API_PROJECTS", 1_000),
    deploymentsPerProject: num("MIAOBU_BENCH_API_DEPLOYMENTS_PER_PROJECT", 10),
    clients: num("MIAOBU_BENCH_API_CLIENTS", 64),
    samples: num("MIAOBU_BENCH_API_SAMPLES", 400),
  };
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

export interface ApiBenchResult {
  options: ApiBenchOptions;
  abuse: { limit: number; sent: number; admitted: number; refused: number; other: number; seconds: number };
  /** GET /api/v1/projects/:project, limiter off and on. */
  limiterOff: Latency;
  limiterOn: Latency;
  /** With the limiter on, seeded data. */
  endpoints: { name: string; latency: Latency }[];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(base: string, method: string, pathname: string, token?: string, body?: unknown) {
  return new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
    const url = new URL(pathname, base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = performance.now();
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function login(base: string): Promise<string> {
  const res = await request(base, "POST", "/api/v1/auth/login", undefined, {
    email: "admin@localhost",
    password: ADMIN_PASSWORD,
    tokenName: "bench-api",
  });
  if (res.status !== 201) throw new Error(`login: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { token: string }).token;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function latencyOf(ms: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99) };
}

/** Times `samples` GETs of each path (round-robin over `tokens`), 4 at a time, after a warm-up. */
async function timeGets(base: string, paths: string[], tokens: string[], samples: number): Promise<number[]> {
  const ms: number[] = [];
  await pool(100, 4, async (i) => {
    await request(base, "GET", paths[i % paths.length] ?? "/", tokens[i % tokens.length]);
  });
  await pool(samples, 4, async (i) => {
    const res = await request(base, "GET", paths[i % paths.length] ?? "/", tokens[i % tokens.length]);
    if (res.status !== 200) throw new Error(`GET ${paths[i % paths.length]}: ${res.status} ${res.body}`);
    ms.push(res.ms);
  });
  return ms;
}

async function start(dataDir: string, apiVars: Record<string, string>): Promise<Platform> {
  return startPlatform({
    dataDir,
    apiPort: await freePort(),
    routerPort: await freePort(),
    builderPort: await freePort(),
    adminPassword: ADMIN_PASSWORD,
    apiVars,
  });
}

const HASH = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

/** Runs the API bench; `log` receives progress lines. */
export async function runApiBench(
  log: (line: string) => void,
  options: ApiBenchOptions = apiBenchOptions(),
): Promise<ApiBenchResult> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-bench-api-"));
  try {
    // Phase 1: every limit off; seed. Phase 2: a fresh start with every limit off; time the calls. Phase 3:
    // a fresh start with the default limits; time the same calls, list and get, and the abuse. Both timed
    // phases start from the same state, so neither has warmer caches.
    const off = {
      MIAOBU_RATE_LIMIT_LOGIN: "off",
      MIAOBU_RATE_LIMIT_UNAUTHENTICATED: "off",
      MIAOBU_RATE_LIMIT_API: "off",
      MIAOBU_RATE_LIMIT_DEPLOY: "off",
      MIAOBU_RATE_LIMIT_BLOBS: "off",
      MIAOBU_LOGIN_LOCKOUT: "off",
    };
    let platform = await start(dataDir, off);
    const names: string[] = [];
    const deploymentIds: string[] = [];
    let limiterOffMs: number[];
    try {
      const token = await login(platform.apiUrl);
      log(`seeding ${options.projects} projects × ${options.deploymentsPerProject} deployments…`);
      const stamp = Date.now().toString(36);
      await pool(options.projects, 16, async (i) => {
        const name = `api-${stamp}-${i}`;
        const created = await request(platform.apiUrl, "POST", "/api/v1/projects", token, { name });
        if (created.status !== 201) throw new Error(`create project: ${created.status} ${created.body}`);
        names.push(name);
        for (let d = 0; d < options.deploymentsPerProject; d++) {
          const res = await request(platform.apiUrl, "POST", `/api/v1/projects/${name}/deployments`, token, {
            files: [{ path: "index.html", hash: HASH, size: 3 }],
          });
          if (res.status !== 201) throw new Error(`create deployment: ${res.status} ${res.body}`);
          if (d === 0)
            deploymentIds.push((JSON.parse(res.body) as { deployment: { id: string } }).deployment.id);
        }
        if ((i + 1) % 250 === 0) log(`  ${i + 1}/${options.projects} projects`);
      });
    } finally {
      await platform.stop();
    }
    platform = await start(dataDir, off);
    try {
      const token = await login(platform.apiUrl);
      const gets = names.slice(0, 50).map((n) => `/api/v1/projects/${n}`);
      log("timing GET /api/v1/projects/:project without the limiter…");
      limiterOffMs = await timeGets(platform.apiUrl, gets, [token], options.samples);
    } finally {
      await platform.stop();
    }

    // Phase 3: the default limits (logins raised and the per-account lockout off, so the bench can make its
    // eight tokens at once as one account).
    platform = await start(dataDir, { MIAOBU_RATE_LIMIT_LOGIN: "1000/1m", MIAOBU_LOGIN_LOCKOUT: "off" });
    try {
      const limit = 1_000;
      const tokens = await Promise.all(Array.from({ length: 8 }, () => login(platform.apiUrl)));
      const gets = names.slice(0, 50).map((n) => `/api/v1/projects/${n}`);
      log("timing GET /api/v1/projects/:project with the limiter…");
      // Eight tokens share the load, so no token reaches its 1,000 a minute.
      const limiterOnMs = await timeGets(platform.apiUrl, gets, tokens, options.samples);

      const endpoints: ApiBenchResult["endpoints"] = [];
      const table: [string, string[]][] = [
        [`GET /api/v1/projects (${names.length.toLocaleString("en")} projects)`, ["/api/v1/projects"]],
        ["GET /api/v1/projects/:project", gets],
        [
          "GET /api/v1/projects/:project/deployments",
          names.slice(0, 50).map((n) => `/api/v1/projects/${n}/deployments`),
        ],
        ["GET /api/v1/deployments/:id", deploymentIds.slice(0, 50).map((id) => `/api/v1/deployments/${id}`)],
      ];
      for (const [name, paths] of table) {
        log(`timing ${name}…`);
        const fresh = await Promise.all(Array.from({ length: 4 }, () => login(platform.apiUrl)));
        endpoints.push({
          name,
          latency: latencyOf(await timeGets(platform.apiUrl, paths, fresh, Math.min(options.samples, 200))),
        });
      }

      log(`${options.clients} clients hammering one token…`);
      const victim = await login(platform.apiUrl);
      const sent = limit * 4;
      const counts = { admitted: 0, refused: 0, other: 0 };
      const started = performance.now();
      await pool(sent, options.clients, async () => {
        const res = await request(platform.apiUrl, "GET", "/api/v1/me", victim);
        if (res.status === 200) counts.admitted++;
        else if (res.status === 429) counts.refused++;
        else counts.other++;
      });
      const seconds = (performance.now() - started) / 1000;
      return {
        options,
        abuse: { limit, sent, ...counts, seconds },
        limiterOff: latencyOf(limiterOffMs),
        limiterOn: latencyOf(limiterOnMs),
        endpoints,
      };
    } finally {
      await platform.stop();
    }
  } finally {
    agent.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

/** The bench's section of docs/PERFORMANCE.md. */
export function apiSection(r: ApiBenchResult): string {
  const ratio = (on: number, off: number) => (off > 0 ? `${(on / off).toFixed(2)}×` : "n/a");
  const rows = r.endpoints
    .map((e) => `| ${e.name} | ${ms(e.latency.p50)} | ${ms(e.latency.p95)} | ${ms(e.latency.p99)} |`)
    .join("\n");
  return `
## bench/api: the API under abuse and under load

The local platform (\`npm start\`'s Workers in workerd), seeded through the API with
${r.options.projects.toLocaleString("en")} projects and ${(r.options.projects * r.options.deploymentsPerProject).toLocaleString("en")} deployments.

**Abuse.** ${r.options.clients} concurrent clients sent ${r.abuse.sent.toLocaleString("en")} requests with one token
(policy \`api\`, ${r.abuse.limit.toLocaleString("en")} a minute) in ${r.abuse.seconds.toFixed(1)} s.

| admitted | refused (429) | other | **admitted ÷ limit** (must be ≤ 1.0) |
|---|---|---|---|
| ${r.abuse.admitted} | ${r.abuse.refused} | ${r.abuse.other} | **${(r.abuse.admitted / r.abuse.limit).toFixed(3)}** |

**The limiter's cost.** \`GET /api/v1/projects/:project\`, ${r.options.samples} requests, 4 at a time, with every
limit off and with the default limits (one Durable Object call per request).

| | p50 | p99 |
|---|---|---|
| limiter off | ${ms(r.limiterOff.p50)} | ${ms(r.limiterOff.p99)} |
| limiter on | ${ms(r.limiterOn.p50)} | ${ms(r.limiterOn.p99)} |
| **on ÷ off** | **${ratio(r.limiterOn.p50, r.limiterOff.p50)}** | **${ratio(r.limiterOn.p99, r.limiterOff.p99)}** |

**List and get**, limiter on, 4 at a time:

| endpoint | p50 | p95 | p99 |
|---|---|---|---|
${rows}
`;
}
