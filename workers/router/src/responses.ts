import type { ManifestEntry } from "@miaobu/shared";

/** What the response helpers need to know about the site being served. */
export interface SiteContext {
  /** Branch and deployment hosts: answered with `X-Robots-Tag: noindex`. */
  preview: boolean;
}

const REVALIDATE = "public, max-age=0, must-revalidate";
const TEXT = "text/plain; charset=utf-8";

function siteHeaders(site: SiteContext): Headers {
  const headers = new Headers({ "cache-control": REVALIDATE, "x-content-type-options": "nosniff" });
  if (site.preview) headers.set("x-robots-tag", "noindex");
  return headers;
}

/** Strong ETag of a file: its SHA-256, which is what the content is addressed by. */
export function etagOf(entry: ManifestEntry): string {
  return `"${entry.hash}"`;
}

/**
 * True when an `If-None-Match` value (`*` or a list of tags) matches the file. Comparison is weak, as
 * RFC 9110 requires for If-None-Match, so `W/"<hash>"` matches too.
 */
export function ifNoneMatchMatches(header: string | null, entry: ManifestEntry): boolean {
  if (header === null) return false;
  const etag = etagOf(entry);
  for (const raw of header.split(",")) {
    const tag = raw.trim();
    if (tag === "*") return true;
    if ((tag.startsWith("W/") ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}

/** A site's file; `body` null for HEAD. `status` is 404 when the file is the site's 404 page. */
export function fileResponse(
  entry: ManifestEntry,
  body: ReadableStream | null,
  site: SiteContext,
  status: 200 | 404 = 200,
): Response {
  const headers = siteHeaders(site);
  headers.set("content-type", entry.contentType);
  headers.set("content-length", String(entry.size));
  if (status === 200) headers.set("etag", etagOf(entry));
  return new Response(body, { status, headers });
}

/** 304 for a conditional request whose tag still matches. */
export function notModified(entry: ManifestEntry, site: SiteContext): Response {
  const headers = siteHeaders(site);
  headers.set("etag", etagOf(entry));
  return new Response(null, { status: 304, headers });
}

function text(status: number, body: string, headers: Headers): Response {
  headers.set("content-type", TEXT);
  return new Response(body, { status, headers });
}

/** A known site without the requested file and without a 404 page of its own. */
export function notFound(site: SiteContext): Response {
  return text(404, "404 Not Found", siteHeaders(site));
}

/** A request path whose percent-encoding cannot be decoded. */
export function badRequest(site: SiteContext): Response {
  return text(400, "400 Bad Request", siteHeaders(site));
}

/** Anything but GET and HEAD. */
export function methodNotAllowed(): Response {
  return text(
    405,
    "405 Method Not Allowed",
    new Headers({ allow: "GET, HEAD", "cache-control": "no-store" }),
  );
}

/** A bug or a storage failure; the body says nothing, the log has the stack. */
export function internalError(): Response {
  return text(500, "500 Internal Server Error", new Headers({ "cache-control": "no-store" }));
}

const PLATFORM_404 = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>No site here</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;color:#333}main{text-align:center;padding:1rem}h1{font-size:1.5rem;margin:0 0 .5rem}p{margin:0;color:#666}</style>
</head>
<body>
<main>
<h1>No site here</h1>
<p>There is nothing deployed at this address.</p>
</main>
</body>
</html>
`;

/**
 * The platform's own page for a host with no site (or a site that cannot be loaded). It is the same for
 * every host, so it reveals nothing about which projects exist.
 */
export function platformNotFound(): Response {
  return new Response(PLATFORM_404, {
    status: 404,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-robots-tag": "noindex",
    },
  });
}

/** The same response without its body, for HEAD. */
export function withoutBody(response: Response): Response {
  if (response.body === null) return response;
  return new Response(null, { status: response.status, headers: response.headers });
}
