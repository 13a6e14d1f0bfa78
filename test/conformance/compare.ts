// What "the same answer" means: status, Location (exactly: both servers see the same Host, so a same-origin
// destination is a path on both and any other is absolute on both), the decoded body, and every header
// except the few below that describe the platform or the wire rather than the site.
import type { WireResponse } from "./http.ts";

/** Headers left out of the comparison, each with why. Nothing else is. */
export const EXCLUDED_HEADERS: Readonly<Record<string, string>> = {
  date: "the clock of each server",
  server: "names the platform (Cloudflare sets it at its edge, not in the asset server)",
  "cf-ray": "Cloudflare's request id, added at its edge",
  "cf-cache-status":
    "whether Cloudflare's cache had the file (Workers' asset server sets it from its KV read)",
  "report-to": "Cloudflare's network error logging, added at its edge",
  nel: "Cloudflare's network error logging, added at its edge",
  connection: "hop-by-hop framing of this TCP connection",
  "keep-alive": "hop-by-hop framing of this TCP connection",
  "transfer-encoding": "framing: workerd picks chunked or a length; the decoded body is compared instead",
  "content-length": "framing, and differs with the encoding chosen; the decoded body is compared instead",
  "content-encoding":
    "Cloudflare compresses at its edge (workerd does in pages dev) while Miaobu serves stored variants; the decoded body is compared instead",
  "x-server-env": "set only by Pages' development server (`dev`)",
};

export interface Difference {
  /** `status`, `body`, or `header:<name>` (Location is `header:location`). */
  field: string;
  pages: string | null;
  miaobu: string | null;
}

/** An ETag's value is each platform's own content hash; its presence and strength must agree. */
function etagShape(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (/^W\/"[^"]*"$/.test(value)) return 'W/"<hash>"';
  if (/^"[^"]*"$/.test(value)) return '"<hash>"';
  return value;
}

function headerValue(name: string, response: WireResponse): string | null {
  const value = response.headers[name];
  if (name === "etag") return etagShape(value);
  return value ?? null;
}

/** Every way the two answers differ. */
export function compare(pages: WireResponse, miaobu: WireResponse): Difference[] {
  const out: Difference[] = [];
  if (pages.status !== miaobu.status)
    out.push({ field: "status", pages: String(pages.status), miaobu: String(miaobu.status) });
  const names = new Set([...Object.keys(pages.headers), ...Object.keys(miaobu.headers)]);
  for (const name of [...names].sort()) {
    if (Object.hasOwn(EXCLUDED_HEADERS, name)) continue;
    const a = headerValue(name, pages);
    const b = headerValue(name, miaobu);
    if (a !== b) out.push({ field: `header:${name}`, pages: a, miaobu: b });
  }
  if (pages.bodyHash !== miaobu.bodyHash)
    out.push({ field: "body", pages: pages.bodyPreview, miaobu: miaobu.bodyPreview });
  return out;
}
