// The known differences between Miaobu and an assets-only Worker in `wrangler dev`, for the Workers target
// (workers-target.ts); the same shape and kinds as deviations.ts, Pages' list, which some are taken from.
// Every `to-fix` class here is in the router's response shapes (responses.ts, serve-file.ts, index.ts),
// which serve both flavours alike with Pages' shapes; its html handling and not-found handling agree.
import { DEVIATIONS, type Deviation, type DifferenceContext } from "./deviations.ts";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const both = (c: DifferenceContext, test: (status: number) => boolean) =>
  test(c.pages.status) && test(c.miaobu.status);
/** The Worker's answer lacks a header Miaobu sends (`pages` holds the reference's answer). */
const onlyMiaobuHas = (c: DifferenceContext, names: string[]) =>
  names.some((name) => c.difference.field === `header:${name}`) && c.difference.pages === null;

/**
 * Pages' classes that hold for Workers' asset server too (it shares them with Pages', or workerd does). A
 * class fixed and deleted there drops out here as well; if the fix missed the Workers flavour, its
 * differences show up unexplained.
 */
const SHARED = new Set([
  "dev-refuses-identity",
  "range-support",
  "if-none-match-list",
  "content-type-charset",
]);

/** Pages' defaults, which Miaobu sends in both flavours. */
const PAGES_DEFAULTS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "access-control-allow-origin": "*",
  "referrer-policy": "strict-origin-when-cross-origin",
};

export const WORKERS_DEVIATIONS: readonly Deviation[] = [
  ...DEVIATIONS.filter((d) => SHARED.has(d.name)),
  {
    name: "workers-not-found-page-conditional",
    kind: "deliberate",
    reason:
      "Workers sends its 404 page with an ETag and answers a matching If-None-Match with 304; RFC 9110 §13.2.1 has a server ignore preconditions when it would not answer 2xx, so Miaobu sends neither",
    matches: (c) =>
      (c.pages.status === 304 && c.miaobu.status === 404) ||
      (both(c, (s) => s === 404) && c.difference.field === "header:etag" && c.difference.miaobu === null),
  },
  {
    name: "workers-default-headers",
    kind: "to-fix",
    reason:
      "an assets-only Worker sends none of Pages' default headers (X-Content-Type-Options, Access-Control-Allow-Origin, Referrer-Policy); Miaobu sends them in both flavours (responses.ts siteHeaders)",
    matches: (c) =>
      onlyMiaobuHas(c, Object.keys(PAGES_DEFAULTS)) &&
      c.difference.miaobu === PAGES_DEFAULTS[c.difference.field.slice("header:".length)],
  },
  {
    name: "workers-method-not-allowed",
    kind: "to-fix",
    reason:
      "Workers applies `_redirects` and resolves the path whatever the method: a redirect rule answers as for GET, a path nothing serves 404, any other an empty 405 with `_headers` and no Allow, Cache-Control or Content-Type; Miaobu answers its text 405 first",
    matches: (c) => c.miaobu.status === 405 && c.request.method !== "GET" && c.request.method !== "HEAD",
  },
  {
    name: "workers-plain-not-found",
    kind: "to-fix",
    reason:
      "Workers' 404 when nothing answers is empty, without Content-Type or Cache-Control; Miaobu's is `404 Not Found` as text with Pages' Cache-Control",
    matches: (c) =>
      both(c, (s) => s === 404) &&
      c.pages.headers.etag === undefined &&
      ((c.difference.field === "body" && c.pages.bodyPreview === "") ||
        onlyMiaobuHas(c, ["content-type", "cache-control"])),
  },
  {
    name: "workers-redirect-shape",
    kind: "to-fix",
    reason: "Workers' redirects (html handling's 307s and `_redirects` rules) carry no Cache-Control",
    matches: (c) => both(c, (s) => REDIRECTS.has(s)) && onlyMiaobuHas(c, ["cache-control"]),
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
    matches: (c) => onlyMiaobuHas(c, ["content-type"]) && c.difference.miaobu === "application/octet-stream",
  },
  {
    name: "workers-not-modified-shape",
    kind: "to-fix",
    reason: "Workers' 304 carries the 200's Content-Type; Miaobu's drops it",
    matches: (c) =>
      both(c, (s) => s === 304) &&
      c.difference.field === "header:content-type" &&
      c.difference.miaobu === null,
  },
];

/** The first known deviation explaining a difference, or null. */
export function explainWorkers(context: DifferenceContext): Deviation | null {
  return WORKERS_DEVIATIONS.find((deviation) => deviation.matches(context)) ?? null;
}
