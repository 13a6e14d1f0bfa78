import { applyHeaderMatches, type HeaderMatch } from "@miaobu/rules";

/** What the response helpers need to know about the site and request being answered. */
export interface SiteContext {
  /** Branch and deployment hosts: answered with `X-Robots-Tag: noindex`. */
  preview: boolean;
  /** The `_headers` blocks matching the request, applied to every response the site makes. */
  headerMatches: HeaderMatch[];
}

const REVALIDATE = "public, max-age=0, must-revalidate";
const TEXT = "text/plain; charset=utf-8";
// Framing headers describe the bytes actually sent: `_headers` may not change them.
const FRAMING = ["content-length", "content-range", "content-encoding", "transfer-encoding"];

/** The headers every site response starts from, as Cloudflare Pages sends them. */
export function siteHeaders(): Headers {
  return new Headers({
    "cache-control": REVALIDATE,
    "x-content-type-options": "nosniff",
    "access-control-allow-origin": "*",
    "referrer-policy": "strict-origin-when-cross-origin",
  });
}

/**
 * Applies the site's `_headers` to a response it made, keeps its framing headers intact, and marks
 * previews noindex (after `_headers`, so a preview can never be made indexable).
 */
export function finishSiteResponse(response: Response, site: SiteContext): Response {
  if (site.headerMatches.length > 0) {
    const framing = FRAMING.map((name) => [name, response.headers.get(name)] as const);
    applyHeaderMatches(response.headers, site.headerMatches);
    for (const [name, value] of framing) {
      if (value === null) response.headers.delete(name);
      else response.headers.set(name, value);
    }
  }
  if (site.preview) response.headers.set("x-robots-tag", "noindex");
  return response;
}

function text(status: number, body: string, headers: Headers): Response {
  headers.set("content-type", TEXT);
  return new Response(body, { status, headers });
}

/** A known site without the requested file and without a page for it. */
export function notFound(): Response {
  return text(404, "404 Not Found", siteHeaders());
}

/** A request path whose percent-encoding cannot be decoded. */
export function badRequest(): Response {
  return text(400, "400 Bad Request", siteHeaders());
}

/** A redirect of the site (`_redirects` or a canonical URL). */
export function redirectResponse(status: number, location: string): Response {
  const headers = siteHeaders();
  headers.set("location", location);
  return new Response(null, { status, headers });
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
  void response.body.cancel();
  return new Response(null, { status: response.status, headers: response.headers });
}
