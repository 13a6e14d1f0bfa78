// The differential oracle on a fixed corpus: 400 requests over 20 generated sites, answered by
// `wrangler pages dev` and by Miaobu's router. Every difference must be one of deviations.ts's classes;
// the summary table by class is printed either way. The long run: `npm run conformance -- --runs N --seed S`.
import { expect, it } from "vitest";
import { classify, describeFinding, printReport } from "./report.ts";
import { runConformance } from "./run.ts";

const SEED = 1;

it("answers the fixed corpus as Cloudflare Pages does, but for the classified deviations", async () => {
  const results = await runConformance({ seed: SEED, sites: 20, requestsPerSite: 20, concurrency: 2 });
  const report = classify(results);
  let summary = "";
  printReport(report, { show: 5, write: (text) => (summary += text) });
  console.log(`conformance, seed ${SEED}:${summary}`);
  expect(report.total).toBe(400);
  expect(report.unexplained.map(describeFinding)).toEqual([]);
}, 600_000);
