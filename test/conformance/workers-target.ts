// The Workers target: for each of the twelve combinations of `html_handling` × `not_found_handling`, sites
// served by an assets-only Worker in `wrangler dev` with that pair and by a Miaobu project with the same
// pair. Workers applies `_redirects` and `_headers` to assets-only Workers too (wrangler reads them from the
// assets directory and the asset worker applies them, see docs/redirects-and-headers.md), so the sites are
// the same as for Pages, rules files included.
import type { Deviation, DifferenceContext } from "./deviations.ts";
import { generateCases } from "./generate.ts";
import { classify } from "./report.ts";
import { inPool, runSites, type SiteResult, withMiaobu } from "./run.ts";
import { COMBINATIONS, startWorkersDev, type WorkersSettings } from "./workers-dev.ts";

export interface WorkersRunOptions {
  seed: number;
  /** Sites per combination; each is one `wrangler dev` start. */
  sitesPerCombination: number;
  requestsPerSite: number;
  /** Combinations run at once. */
  concurrency?: number;
  /** Only these combinations (all twelve by default). */
  combinations?: readonly WorkersSettings[];
  log?: (line: string) => void;
}

/** Generates the sites from `seed`, a different slice for each combination; every exchange, in order. */
export async function runWorkersConformance(options: WorkersRunOptions): Promise<SiteResult[]> {
  const log = options.log ?? (() => {});
  const combinations = options.combinations ?? COMBINATIONS;
  const n = options.sitesPerCombination;
  const cases = generateCases(options.seed, combinations.length * n, options.requestsPerSite);
  return withMiaobu(async (miaobu, root) => {
    const perCombination = await inPool(combinations, options.concurrency ?? 2, async (settings, i) => {
      const results = await runSites(
        miaobu,
        root,
        cases.slice(i * n, (i + 1) * n),
        { settings, start: (dir) => startWorkersDev(dir, settings) },
        { firstIndex: i * n, concurrency: 1 },
      );
      log(`${settings.htmlHandling} + ${settings.notFoundHandling}: ${n} site(s) done`);
      return results;
    });
    return perCombination.flat();
  });
}

/** One line per combination: identical and agreeing requests out of all, by `explain`'s classes. */
export function agreementByCombination(
  results: SiteResult[],
  explain: (context: DifferenceContext) => Deviation | null,
): string[] {
  const groups = new Map<string, SiteResult[]>();
  for (const site of results) {
    const key = site.settings ? `${site.settings.htmlHandling} + ${site.settings.notFoundHandling}` : "";
    groups.set(key, [...(groups.get(key) ?? []), site]);
  }
  return [...groups].map(([key, sites]) => {
    const { total, identical, agreeing } = classify(sites, explain);
    return `  ${key.padEnd(46)} ${String(agreeing).padStart(4)}/${total} agreeing, ${identical} identical`;
  });
}
