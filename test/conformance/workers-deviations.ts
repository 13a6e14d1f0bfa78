// The known differences between Miaobu and an assets-only Worker in `wrangler dev`, for the Workers target
// (workers-target.ts); the same shape and kinds as deviations.ts, Pages' list, which some are taken from.
import { DEVIATIONS, type Deviation, type DifferenceContext } from "./deviations.ts";

/**
 * Pages' classes that hold for Workers' asset server too (it shares them with Pages', or workerd does). A
 * class fixed and deleted there drops out here as well; if the fix missed the Workers flavour, its
 * differences show up unexplained.
 */
const SHARED = new Set(["dev-refuses-identity", "range-support", "if-none-match-list"]);

export const WORKERS_DEVIATIONS: readonly Deviation[] = [
  ...DEVIATIONS.filter((d) => SHARED.has(d.name)),
  {
    name: "workers-not-found-page-conditional",
    kind: "deliberate",
    reason:
      "Workers answers a request for a missing path with 304 when If-None-Match holds its 404 page's ETag; RFC 9110 §13.2.1 has a server ignore preconditions when it would not answer 2xx, so Miaobu sends the 404 page (with the same ETag and headers: only the status and body differ)",
    matches: (c) => c.pages.status === 304 && c.miaobu.status === 404,
  },
];

/** The first known deviation explaining a difference, or null. */
export function explainWorkers(context: DifferenceContext): Deviation | null {
  return WORKERS_DEVIATIONS.find((deviation) => deviation.matches(context)) ?? null;
}
