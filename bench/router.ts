// bench/router: the same generated site served by Miaobu's router and by Cloudflare's own static-asset
// server (`wrangler dev` with [assets]) in the same run, with the same keep-alive load generator; plus the
// router's latency for a project with 1 deployment and with 1,000.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {
  ADMIN_PASSWORD,
  freePort,
  runCli,
  startTestPlatform,
  type TestPlatform,
} from "../test/support/platform.ts";
import { type LoadResult, runLoad } from "./load.ts";
import {
  measureRollbackVisibility,
  type VisibilityResult,
  visibilitySection,
} from "./rollback-visibility.ts";
import {
  ENDPOINTS,
  generateRouterSite,
  PAGES,
  startCloudflareDirectPeer,
  startCloudflarePeer,
} from "./router-site.ts";

export interface RouterBenchOptions {
  /** Seconds of load per endpoint and server (MIAOBU_BENCH_ROUTER_SECONDS, default 10). */
  seconds: number;
  /** Concurrent keep-alive connections (MIAOBU_BENCH_ROUTER_CONNECTIONS, default 16). */
  connections: number;
  /** Deployments in the "many" project (MIAOBU_BENCH_ROUTER_DEPLOYMENTS, default 1,000). */
  deployments: number;
}

export interface EndpointResult {
  name: string;
  path: string;
  miaobu: LoadResult;
  /** Cloudflare's asset server behind `wrangler dev`. */
  cloudflare: LoadResult;
  /** The same asset server with workerd's socket exposed directly, as Miaobu's router runs locally. */
  cloudflareDirect: LoadResult;
}

export interface RouterBenchResult {
  options: RouterBenchOptions;
  endpoints: EndpointResult[];
  oneDeployment: LoadResult;
  manyDeployments: LoadResult;
  rollback: VisibilityResult;
}

/** Reads the options from the environment, so `npm run bench` can be shortened for a smoke run. */
export function routerBenchOptions(env: NodeJS.ProcessEnv = process.env): RouterBenchOptions {
  const num = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    seconds: num("MIAOBU_BENCH_ROUTER_SECONDS", 10),
    connections: Math.round(num("MIAOBU_BENCH_ROUTER_CONNECTIONS", 16)),
    deployments: Math.round(num("MIAOBU_BENCH_ROUTER_DEPLOYMENTS", 1_000)),
  };
}

async function cli(t: TestPlatform, args: string[], input?: string): Promise<string> {
  const res = await runCli(t, args, input === undefined ? {} : { input });
  if (res.code !== 0) throw new Error(`miaobu ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout;
}

async function filesOf(dir: string, prefix = ""): Promise<{ path: string; hash: string; size: number }[]> {
  const out: { path: string; hash: string; size: number }[] = [];
  for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesOf(dir, rel)));
    else {
      const bytes = await fs.readFile(path.join(dir, rel));
      out.push({ path: rel, hash: createHash("sha256").update(bytes).digest("hex"), size: bytes.byteLength });
    }
  }
  return out;
}

/** Adds `count` deployments of an already-uploaded folder through the API (nothing to upload, two calls each). */
async function addDeployments(
  t: TestPlatform,
  project: string,
  dir: string,
  count: number,
  log: (line: string) => void,
) {
  const login = await fetch(`${t.platform.apiUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@localhost", password: ADMIN_PASSWORD, tokenName: "bench" }),
  });
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const files = await filesOf(dir);
  for (let i = 0; i < count; i++) {
    const created = await fetch(`${t.platform.apiUrl}/api/v1/projects/${project}/deployments`, {
      method: "POST",
      headers,
      body: JSON.stringify({ files }),
    });
    if (created.status !== 201)
      throw new Error(`create deployment: ${created.status} ${await created.text()}`);
    const { deployment } = (await created.json()) as { deployment: { id: string } };
    const done = await fetch(`${t.platform.apiUrl}/api/v1/deployments/${deployment.id}/finalize`, {
      method: "POST",
      headers,
    });
    if (done.status !== 200) throw new Error(`finalize: ${done.status} ${await done.text()}`);
    await done.arrayBuffer();
    if ((i + 1) % 250 === 0) log(`  ${i + 1}/${count} deployments`);
  }
}

/** Runs the router bench; `log` receives progress lines. */
export async function runRouterBench(
  log: (line: string) => void,
  options: RouterBenchOptions = routerBenchOptions(),
): Promise<RouterBenchResult> {
  // Seeding makes thousands of API calls with one token, past the API's default rate limit; this bench
  // measures the router, so the API's limit is lifted (bench/api.ts measures the limiter).
  const t = await startTestPlatform({ MIAOBU_RATE_LIMIT_API: "off" });
  const workDir = path.join(t.dataDir, "router-bench");
  const siteDir = path.join(workDir, "site");
  let asset: string;
  let peer: Awaited<ReturnType<typeof startCloudflarePeer>>;
  let direct: Awaited<ReturnType<typeof startCloudflareDirectPeer>>;
  try {
    asset = await generateRouterSite(siteDir);
    peer = await startCloudflarePeer(siteDir, workDir, await freePort());
    direct = await startCloudflareDirectPeer(siteDir, workDir, await freePort());
  } catch (error) {
    await t.stop();
    throw error;
  }
  try {
    await cli(t, ["login", "--email", "admin@localhost", "--password-stdin"], `${ADMIN_PASSWORD}\n`);
    const stamp = Date.now().toString(36);
    const [one, many] = [`rb-one-${stamp}`, `rb-many-${stamp}`];
    for (const project of [one, many]) {
      await cli(t, ["projects", "create", project]);
      await cli(t, ["deploy", siteDir, "--project", project, "--json"]);
    }
    log(`adding ${options.deployments - 1} deployments to ${many}…`);
    await addDeployments(t, many, siteDir, options.deployments - 1, log);

    const ms = options.seconds * 1000;
    const endpoints: EndpointResult[] = [];
    for (const endpoint of ENDPOINTS) {
      const target = { path: endpoint.path || asset, expectStatus: endpoint.status };
      // Alternate which server goes first, so neither always runs on a warmer machine.
      const first = endpoints.length % 2 === 0;
      const run = (which: "miaobu" | "direct" | "cloudflare") =>
        which === "miaobu"
          ? runLoad({ ...target, port: t.routerPort, host: `${one}.localhost` }, options.connections, ms)
          : which === "direct"
            ? runLoad(
                { ...target, port: direct.port, host: `127.0.0.1:${direct.port}` },
                options.connections,
                ms,
              )
            : runLoad(
                { ...target, port: peer.port, host: `127.0.0.1:${peer.port}` },
                options.connections,
                ms,
              );
      const a = await run(first ? "miaobu" : "direct");
      const b = await run(first ? "direct" : "miaobu");
      const [miaobu, cloudflareDirect] = first ? [a, b] : [b, a];
      const cloudflare = await run("cloudflare");
      endpoints.push({ name: endpoint.name, path: target.path, miaobu, cloudflare, cloudflareDirect });
      log(
        `${endpoint.name}: Miaobu ${miaobu.rps.toFixed(0)} req/s p50 ${miaobu.p50Ms.toFixed(2)} ms, Cloudflare (direct) ${cloudflareDirect.rps.toFixed(0)} req/s p50 ${cloudflareDirect.p50Ms.toFixed(2)} ms, Cloudflare (wrangler dev) ${cloudflare.rps.toFixed(0)} req/s p50 ${cloudflare.p50Ms.toFixed(2)} ms${miaobu.errors + cloudflare.errors + cloudflareDirect.errors > 0 ? ` (errors: ${miaobu.errors}/${cloudflareDirect.errors}/${cloudflare.errors})` : ""}`,
      );
    }
    const html = { path: ENDPOINTS[0].path, expectStatus: 200 };
    const oneDeployment = await runLoad({ ...html, port: t.routerPort, host: `${one}.localhost` }, 1, ms);
    const manyDeployments = await runLoad({ ...html, port: t.routerPort, host: `${many}.localhost` }, 1, ms);
    log(
      `p50 with 1 deployment ${oneDeployment.p50Ms.toFixed(2)} ms, with ${options.deployments} ${manyDeployments.p50Ms.toFixed(2)} ms`,
    );
    const rollback = await measureRollbackVisibility(t);
    log(
      `rollback visible at the router: p50 ${rollback.p50Ms.toFixed(1)} ms, p99 ${rollback.p99Ms.toFixed(1)} ms`,
    );
    return { options, endpoints, oneDeployment, manyDeployments, rollback };
  } finally {
    await direct.stop();
    await peer.stop();
    await t.stop();
  }
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "-");

/** The bench/router section of docs/PERFORMANCE.md. */
export function routerSection(result: RouterBenchResult): string {
  const { options } = result;
  const rows = result.endpoints
    .map(
      (e) =>
        `| ${e.name} (\`${e.path}\`) | ${e.miaobu.rps.toFixed(0)} | ${e.cloudflareDirect.rps.toFixed(0)} | **${ratio(e.miaobu.rps, e.cloudflareDirect.rps)}** | ${ms(e.miaobu.p50Ms)} / ${ms(e.miaobu.p99Ms)} | ${ms(e.cloudflareDirect.p50Ms)} / ${ms(e.cloudflareDirect.p99Ms)} | **${ratio(e.cloudflareDirect.p50Ms, e.miaobu.p50Ms)}** | ${e.cloudflare.rps.toFixed(0)} | ${ratio(e.miaobu.rps, e.cloudflare.rps)} |`,
    )
    .join("\n");
  const errors = result.endpoints.reduce(
    (n, e) => n + e.miaobu.errors + e.cloudflare.errors + e.cloudflareDirect.errors,
    0,
  );
  return `
## bench/router: serving a site, against Cloudflare's own asset server

The same generated folder (${PAGES} HTML pages of ~4 KB, 50 hashed ~20 KB JavaScript assets, a 404.html and
a \`_redirects\` with 100 rules: 90 static, 10 dynamic) served by Miaobu's router (deployed with the CLI
to the local platform) and by Cloudflare's static-asset server (an assets-only Worker with
\`html_handling = "auto-trailing-slash"\` and \`not_found_handling = "404-page"\`), in the same run on the
same machine. Cloudflare's server runs two ways: **direct**, in Miniflare with workerd's socket exposed
directly exactly as the local platform runs Miaobu's router (the fair comparison, bench/router-site.ts), and
behind \`wrangler dev\`, whose own Node proxy in front of workerd costs a lot (production Cloudflare has no
such proxy, so that column flatters Miaobu). The load generator (bench/load.ts) keeps ${options.connections}
keep-alive connections busy for ${options.seconds} s per endpoint and server after a warm-up; Miaobu and the
direct peer take turns going first. Ratios are Miaobu ÷ Cloudflare for requests per second and
Cloudflare ÷ Miaobu for p50, so above 1 means Miaobu is faster.${errors > 0 ? ` **${errors} requests failed or had an unexpected status.**` : ""}

| request | Miaobu req/s | Cloudflare direct req/s | req/s ratio | Miaobu p50 / p99 | Cloudflare direct p50 / p99 | p50 ratio | \`wrangler dev\` req/s | ratio vs \`wrangler dev\` |
|---|---|---|---|---|---|---|---|---|
${rows}

Route lookups do not depend on a project's size: one connection requesting the HTML page of a project with
1 deployment and of one with ${options.deployments.toLocaleString("en")} deployments (all of the same site):

| deployments in the project | p50 | p99 | req/s |
|---|---|---|---|
| 1 | ${ms(result.oneDeployment.p50Ms)} | ${ms(result.oneDeployment.p99Ms)} | ${result.oneDeployment.rps.toFixed(0)} |
| ${options.deployments.toLocaleString("en")} | ${ms(result.manyDeployments.p50Ms)} | ${ms(result.manyDeployments.p99Ms)} | ${result.manyDeployments.rps.toFixed(0)} |
${visibilitySection(result.rollback)}`;
}
