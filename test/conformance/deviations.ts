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

const header = (d: Difference) => (d.field.startsWith("header:") ? d.field.slice("header:".length) : null);

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
    name: "javascript-type",
    kind: "deliberate",
    reason:
      "Miaobu types `.js` as `text/javascript; charset=utf-8` (RFC 9239, as Workers static assets do); Pages' uploader and pages dev (mime 3) say `application/javascript`, which browsers treat the same",
    matches: (c) =>
      c.difference.field === "header:content-type" &&
      c.difference.pages === "application/javascript" &&
      c.difference.miaobu === "text/javascript; charset=utf-8",
  },
];

/** The first known deviation explaining a difference, or null. */
export function explain(context: DifferenceContext): Deviation | null {
  return DEVIATIONS.find((deviation) => deviation.matches(context)) ?? null;
}
