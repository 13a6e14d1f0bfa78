// bench/rollback-visibility: how long after a rollback through the API the router serves the deployment
// rolled back to. The API tells the router which hosts to forget (docs/scale.md), so it should be the API's
// own latency; without that it was the route cache's whole bound (2 s). Runs inside bench/router, or alone:
// `node bench/rollback-visibility.ts`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  getSite,
  loginAdmin,
  runCli,
  savedToken,
  startTestPlatform,
  type TestPlatform,
  writeSite,
} from "../test/support/platform.ts";
import { quantile } from "./load.ts";

export interface VisibilityResult {
  rounds: number;
  /** From sending the rollback (or promotion) to the router's first answer with the new deployment. */
  p50Ms: number;
  p99Ms: number;
  /** Requests after the API's answer that still saw the old deployment (0: the very next one saw the new). */
  staleAfterAnswer: number;
}

/** Flips production between two deployments `rounds` times, timing when the router serves each. */
export async function measureRollbackVisibility(t: TestPlatform, rounds = 100): Promise<VisibilityResult> {
  await loginAdmin(t);
  const token = await savedToken(t);
  const project = `rb-visible-${Date.now().toString(36)}`;
  const run = async (args: string[]) => {
    const res = await runCli(t, args);
    if (res.code !== 0) throw new Error(`miaobu ${args.join(" ")} failed: ${res.stderr}`);
    return res.stdout;
  };
  await run(["projects", "create", project]);
  const ids: string[] = [];
  for (const version of ["a", "b"]) {
    const dir = await writeSite(path.join(t.dataDir, `visible-${version}`), { "index.html": version });
    ids.push((JSON.parse(await run(["deploy", dir, "--project", project, "--json"])) as { id: string }).id);
  }
  const host = `${project}.localhost`;
  const times: number[] = [];
  let staleAfterAnswer = 0;
  for (let round = 0; round < rounds; round++) {
    const [target, body] = round % 2 === 0 ? [ids[0], "a"] : [ids[1], "b"];
    // Warm the router's tiers with the current deployment first.
    await getSite(t, host, "/");
    const started = performance.now();
    const res = await fetch(`${t.platform.apiUrl}/api/v1/projects/${project}/rollback`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ deploymentId: target }),
    });
    if (res.status !== 200) throw new Error(`rollback answered ${res.status}: ${await res.text()}`);
    while ((await getSite(t, host, "/")).body !== body) {
      staleAfterAnswer++;
      if (performance.now() - started > 10_000) throw new Error("the rollback was not visible within 10 s");
    }
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { rounds, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99), staleAfterAnswer };
}

/** The rollback-visibility part of bench/router's section of docs/PERFORMANCE.md. */
export function visibilitySection(result: VisibilityResult): string {
  return `
Rollback visibility: ${result.rounds} rollbacks through the API, alternating between two deployments, each
timed from sending the request to the router's first answer with the deployment rolled back to (the API
tells the router which hosts to forget before it answers, docs/scale.md; before that it took the route
cache's whole bound, 2 s). Requests after the API's answer that still saw the old deployment:
${result.staleAfterAnswer}.

| rollback visible at the router | p50 | p99 |
|---|---|---|
| API request → first new answer | ${result.p50Ms.toFixed(1)} ms | ${result.p99Ms.toFixed(1)} ms |
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t = await startTestPlatform({ MIAOBU_RATE_LIMIT_API: "off" });
  try {
    const result = await measureRollbackVisibility(t, Number(process.env.MIAOBU_BENCH_ROLLBACKS) || 100);
    console.log(visibilitySection(result));
  } finally {
    await t.stop();
  }
}
