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
      "Workers answers a request for a missing path with 304 when If-None-Match holds its 404 page's ETag; RFC 9110 §13.2.1 has a server ignore preconditions when it would not answer 2xx, so Miaobu sends the 404 page",
    matches: (c) => c.pages.status === 304 && c.miaobu.status === 404,
  },
  {
    name: "workers-rule-destination-slashes",
    kind: "to-fix",
    reason:
      "Workers collapses every run of `/` in a dynamic rule's destination once its placeholders are filled, unless it starts with `scheme://` (rules-engine.ts, generateRedirectsMatcher): `//host/:splat` becomes the path `/host/…`, a splat starting with `/` leaves no `//`; Pages and Miaobu keep them",
    matches: (c) =>
      c.difference.field === "header:location" &&
      c.difference.pages !== null &&
      c.difference.pages === c.difference.miaobu?.replace(/^http:(?=\/\/)/, "").replace(/\/+/g, "/"),
  },
  {
    name: "workers-unknown-type",
    kind: "to-fix",
    reason:
      "Workers sends no Content-Type for a file whose type it does not know (`page`, no extension); Miaobu sends application/octet-stream, as Pages does",
    matches: (c) =>
      c.difference.field === "header:content-type" &&
      c.difference.pages === null &&
      c.difference.miaobu === "application/octet-stream",
  },
];

/** The first known deviation explaining a difference, or null. */
export function explainWorkers(context: DifferenceContext): Deviation | null {
  return WORKERS_DEVIATIONS.find((deviation) => deviation.matches(context)) ?? null;
}
