import { applyHeaderMatches, type HeaderMatch } from "@miaobu/rules";

/** What the response helpers need to know about the site and request being answered. */
export interface SiteContext {
  /** Branch and deployment hosts: answered with `X-Robots-Tag: noindex`. */
  preview: boolean;
  /** The `_headers` blocks matching the request, applied to every response the site makes. */
  headerMatches: HeaderMatch[];
  /** Served as Cloudflare Pages (its default headers, 404s never cached), else as Workers' asset server. */
  pages: boolean;
}

const TEXT = "text/plain; charset=utf-8";
// Framing headers describe the bytes actually sent: `_headers` may not change them.
const FRAMING = ["content-length", "content-range", "content-encoding", "transfer-encoding"];

/**
 * The Cache-Control of a served file, as Pages and Workers send it: none for a request with
 * Authorization or Range (their isCacheable), so a shared cache never keeps such an answer for others.
 */
export function browserCacheControl(request: Request): string | null {
  if (request.headers.has("authorization") || request.headers.has("range")) return null;
  return "public, max-age=0, must-revalidate";
}

/**
 * Finishes every response a site makes as Pages' attachHeaders does (its default headers, replacing the
 * answer's own), then its `_headers`, keeping the framing headers intact; a Pages 404 is `no-store`
 * whatever `_headers` says. Previews are marked noindex last, so one can never be made indexable.
 */
export function finishSiteResponse(response: Response, site: SiteContext): Response {
  const headers = response.headers;
  if (site.pages) {
    headers.set("access-control-allow-origin", "*");
    headers.set("referrer-policy", "strict-origin-when-cross-origin");
    if (headers.has("content-type")) headers.set("x-content-type-options", "nosniff");
  }
  if (site.headerMatches.length > 0) {
    const framing = FRAMING.map((name) => [name, headers.get(name)] as const);
    applyHeaderMatches(headers, site.headerMatches);
    for (const [name, value] of framing) {
      if (value === null) headers.delete(name);
      else headers.set(name, value);
    }
  }
  if (site.pages && response.status === 404) headers.set("cache-control", "no-store");
  if (site.preview) headers.set("x-robots-tag", "noindex");
  return response;
}

function text(status: number, body: string, headers: Headers): Response {
  headers.set("content-type", TEXT);
  return new Response(body, { status, headers });
}

/** A known site without the requested file and without a page for it: empty, as on Pages and Workers. */
export function notFound(): Response {
  return new Response(null, { status: 404 });
}

/** A request the router cannot read (a malformed Host). */
export function badRequest(): Response {
  return text(400, "400 Bad Request", new Headers({ "cache-control": "no-store" }));
}

/**
 * A redirect of the site. `body`: Pages' `_redirects` answers (all but 308) say `Redirecting to …` as
 * text; its own redirects and Workers' have no body.
 */
export function redirectResponse(status: number, location: string, body: boolean): Response {
  return new Response(body ? `Redirecting to ${location}` : null, { status, headers: { location } });
}

/** Anything but GET and HEAD on a site: an empty 405, as Pages and Workers answer it. */
export function methodNotAllowed(): Response {
  return new Response(null, { status: 405 });
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
  void response.body.cancel();
  return new Response(null, { status: response.status, headers: response.headers });
}
