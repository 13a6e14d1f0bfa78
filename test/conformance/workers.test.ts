// The Workers target on a fixed corpus: for each of the twelve html handling × not-found handling pairs, one
// generated site of 40 requests, answered by an assets-only Worker in `wrangler dev` and by a Miaobu project
// with the same pair. Every difference must be one of workers-deviations.ts's classes; the summary by class
// and by pair is printed either way. The long run: `npm run conformance -- --target workers --runs N`.
import { expect, it } from "vitest";
import { classify, describeFinding, printReport } from "./report.ts";
import { explainWorkers } from "./workers-deviations.ts";
import { agreementByCombination, runWorkersConformance } from "./workers-target.ts";

const SEED = 1;

it("answers the fixed corpus as an assets-only Worker does for every pair, but for the classified deviations", async () => {
  const results = await runWorkersConformance({
    seed: SEED,
    sitesPerCombination: 1,
    requestsPerSite: 40,
    concurrency: 3,
  });
  const report = classify(results, explainWorkers);
  let summary = "";
  printReport(report, { show: 5, write: (text) => (summary += text) });
  const pairs = agreementByCombination(results, explainWorkers).join("\n");
  console.log(`conformance (workers), seed ${SEED}:${summary}\nby pair:\n${pairs}`);
  expect(report.total).toBe(480);
  expect(report.unexplained.map(describeFinding)).toEqual([]);
}, 600_000);
