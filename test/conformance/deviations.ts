// The one list of known differences between Miaobu and Pages that the fixed-seed test tolerates. Each
// classifies single differences (one field of one answer), so a known difference never hides another one
// in the same answer. `deliberate`: Miaobu differs on purpose (docs/redirects-and-headers.md says why).
// `to-fix`: a bug of Miaobu's, tolerated until its class is fixed; delete the entry with the fix.
// `reference`: an artifact of `wrangler pages dev` that Cloudflare's production servers do not share.
import type { Difference } from "./compare.ts";
import type { RequestSpec } from "./generate.ts";
import type { WireResponse } from "./http.ts";

export interface DifferenceContext {
  difference: Difference;
  request: RequestSpec;
  pages: WireResponse;
  miaobu: WireResponse;
  files: Record<string, string>;
}

export interface Deviation {
  name: string;
  kind: "deliberate" | "to-fix" | "reference";
  reason: string;
  matches(context: DifferenceContext): boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const header = (d: Difference) => (d.field.startsWith("header:") ? d.field.slice("header:".length) : null);
const both = (c: DifferenceContext, test: (status: number) => boolean) =>
  test(c.pages.status) && test(c.miaobu.status);

export const DEVIATIONS: readonly Deviation[] = [
  {
    name: "dev-enotdir",
    kind: "reference",
    reason:
      "pages dev looks files up on disk and answers 502 for a path below a file (`/x.html/a`, `/_redirects`: ENOTDIR); Pages in production looks them up in its manifest",
    // The asset server itself never answers 502; a HEAD shows no body to recognise it by.
    matches: (c) => c.pages.status === 502,
  },
  {
    name: "dev-refuses-identity",
    kind: "reference",
    reason:
      "workerd in pages dev answers `Accept-Encoding: identity;q=0` with 415 before the asset server runs; Cloudflare's edge does not",
    matches: (c) => c.request.acceptEncoding === "identity;q=0" && c.pages.status === 415,
  },
  {
    name: "range-support",
    kind: "deliberate",
    reason:
      "Miaobu answers Range with 206 and says so with `Accept-Ranges: bytes`; Pages' asset server ignores Range (Cloudflare's cache serves ranges in production)",
    matches: (c) => header(c.difference) === "accept-ranges" && c.difference.pages === null,
  },
  {
    name: "if-none-match-list",
    kind: "deliberate",
    reason:
      "Miaobu reads If-None-Match as RFC 9110 says (`*`, a list of tags); Pages compares the whole header with one tag and answers 200",
    matches: (c) =>
      (c.request.conditional === "etag-list" || c.request.conditional === "star") &&
      c.pages.status === 200 &&
      c.miaobu.status === 304,
  },
  {
    name: "content-type-charset",
    kind: "to-fix",
    reason:
      "Pages adds `; charset=utf-8` to text/* types only; Miaobu also to application/xml, JSON and others",
    matches: (c) =>
      c.difference.field === "header:content-type" &&
      c.difference.pages !== null &&
      c.difference.miaobu === `${c.difference.pages}; charset=utf-8`,
  },
  {
    name: "method-not-allowed-shape",
    kind: "to-fix",
    reason:
      "Pages answers other methods with an empty 405 carrying its default headers and the `_headers` rules; Miaobu's 405 is text with Allow and no-store, without `_headers`",
    matches: (c) => both(c, (s) => s === 405),
  },
  {
    name: "methods-follow-redirects",
    kind: "to-fix",
    reason:
      "Pages applies `_redirects` redirects whatever the method, before refusing it; Miaobu refuses first",
    matches: (c) => REDIRECTS.has(c.pages.status) && c.miaobu.status === 405,
  },
  {
    name: "not-found-shape",
    kind: "to-fix",
    reason:
      "Pages' 404s (a 404.html or none) drop any Cache-Control and send `no-store`; its plain 404 has no body and no Content-Type",
    matches: (c) =>
      both(c, (s) => s === 404) &&
      (header(c.difference) === "cache-control" ||
        (c.pages.bodyPreview === "" &&
          ["body", "header:content-type", "header:x-content-type-options"].includes(c.difference.field))),
  },
  {
    name: "redirect-shape",
    kind: "to-fix",
    reason:
      "Pages' redirects carry no Cache-Control; `_redirects` ones have a `Redirecting to …` text body (so Content-Type and nosniff), its own 308s none",
    matches: (c) =>
      both(c, (s) => REDIRECTS.has(s)) &&
      ["header:cache-control", "header:x-content-type-options", "header:content-type", "body"].includes(
        c.difference.field,
      ),
  },
  {
    name: "not-modified-shape",
    kind: "to-fix",
    reason:
      "Pages' 304 carries only its default headers and `_headers` (no ETag, Cache-Control, Content-Type or nosniff)",
    matches: (c) => both(c, (s) => s === 304),
  },
  {
    name: "path-empty-segments",
    kind: "to-fix",
    reason:
      "Pages finds `/dir//index.html` for `/dir%2F/` or `/dir//` (the decoded path's empty segments collapse); Miaobu looks up the decoded path as it is. Seen with pages dev, which looks files up on disk: check against production before fixing",
    // Last, so other classes claim what they explain; a missed file falls to a 404 page or the SPA index.
    matches: (c) => /\/\/|%2f\/|\/%2f/i.test(c.request.path.replace(/\?.*$/, "")),
  },
];

/** The first known deviation explaining a difference, or null. */
export function explain(context: DifferenceContext): Deviation | null {
  return DEVIATIONS.find((deviation) => deviation.matches(context)) ?? null;
}
