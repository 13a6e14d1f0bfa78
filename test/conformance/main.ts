// `npm run conformance -- --runs 2000 --seed 7`: the long differential run. Prints the summary by class
// and the first differences no known deviation explains, each with the site and request behind it.
// `--target workers` runs against an assets-only Worker in `wrangler dev` instead, for each of the twelve
// html handling × not-found handling pairs (`--runs` split evenly between them), and adds a line per pair.
import { parseArgs } from "node:util";
import { explain } from "./deviations.ts";
import { classify, printReport } from "./report.ts";
import { runConformance } from "./run.ts";
import { COMBINATIONS } from "./workers-dev.ts";
import { explainWorkers } from "./workers-deviations.ts";
import { agreementByCombination, runWorkersConformance } from "./workers-target.ts";

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "pages" },
    runs: { type: "string", default: "400" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    "per-site": { type: "string", default: "20" },
    concurrency: { type: "string", default: "2" },
    show: { type: "string", default: "10" },
    all: { type: "boolean", default: false },
  },
});

if (values.target !== "pages" && values.target !== "workers") {
  console.error(`--target is pages or workers, not ${values.target}`);
  process.exit(2);
}
const workers = values.target === "workers";
const seed = Number(values.seed);
const perSite = Number(values["per-site"]);
const sites = Math.max(1, Math.ceil(Number(values.runs) / perSite));
const perCombination = Math.max(1, Math.ceil(sites / COMBINATIONS.length));
const log = (line: string) => process.stderr.write(`${line}\n`);
console.log(
  workers
    ? `conformance (workers): seed ${seed}, 12 pairs × ${perCombination} sites × ${perSite} requests`
    : `conformance: seed ${seed}, ${sites} sites × ${perSite} requests`,
);
const options = { seed, requestsPerSite: perSite, concurrency: Number(values.concurrency), log };
const results = workers
  ? await runWorkersConformance({ ...options, sitesPerCombination: perCombination })
  : await runConformance({ ...options, sites });
const explainer = workers ? explainWorkers : explain;
const report = classify(results, explainer);
printReport(report, {
  show: Number(values.show),
  includeKnown: values.all,
  write: (s) => process.stdout.write(s),
});
if (workers) console.log(`\nby pair:\n${agreementByCombination(results, explainer).join("\n")}`);
console.log(
  `seed ${seed}: rerun with --target ${values.target} --seed ${seed} --runs ${values.runs} --per-site ${perSite}`,
);
process.exit(report.unexplained.length > 0 ? 1 : 0);
