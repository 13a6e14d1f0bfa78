import type { Manifest } from "@miaobu/shared";
import { type Asset, lookup, nearest404, type ServingSettings } from "./asset-lookup.ts";

/**
 * Cloudflare Workers' asset server, step for step (workers-sdk, packages/workers-shared/asset-worker/src/
 * handler.ts: getIntent, the four html handlings, notFound, safeRedirect). Each html handling is an ordered
 * list of checks, the first that holds wins: serve a file, or redirect to `to` when `file` exists and `to`
 * (which must not itself be a file) would serve that very file.
 */

/** What a decoded path resolves to: a file (from html handling or the not-found handling), or a redirect. */
export type Intent = { asset: Asset; status: 200 | 404; notFound: boolean } | { redirect: string } | null;

type Check = { serve: string } | { file: string; to: string };

const serve = (path: string): Check => ({ serve: path });
const redirect = (file: string, to: string): Check => ({ file, to });
const cut = (p: string, suffix: string) => p.slice(0, -suffix.length);

function autoTrailingSlash(p: string): Check[] {
  const branch: Check[] = [];
  if (p.endsWith("/index"))
    branch.push(
      serve(p),
      redirect(`${p}.html`, cut(p, "index")),
      redirect(`${cut(p, "/index")}.html`, cut(p, "/index")),
    );
  else if (p.endsWith("/index.html"))
    branch.push(
      redirect(p, cut(p, "index.html")),
      redirect(`${cut(p, "/index.html")}.html`, cut(p, "/index.html")),
    );
  else if (p.endsWith("/"))
    branch.push(serve(`${p}index.html`), redirect(`${cut(p, "/")}.html`, cut(p, "/")));
  else if (p.endsWith(".html"))
    branch.push(
      redirect(p, cut(p, ".html")),
      redirect(`${cut(p, ".html")}/index.html`, `${cut(p, ".html")}/`),
    );
  return [...branch, serve(p), serve(`${p}.html`), redirect(`${p}/index.html`, `${p}/`)];
}

function forceTrailingSlash(p: string): Check[] {
  const branch: Check[] = [];
  if (p.endsWith("/index"))
    branch.push(
      serve(p),
      redirect(`${p}.html`, cut(p, "index")),
      redirect(`${cut(p, "/index")}.html`, cut(p, "index")),
    );
  else if (p.endsWith("/index.html"))
    branch.push(
      redirect(p, cut(p, "index.html")),
      redirect(`${cut(p, "/index.html")}.html`, cut(p, "index.html")),
    );
  else if (p.endsWith("/")) branch.push(serve(`${p}index.html`), serve(`${cut(p, "/")}.html`));
  else if (p.endsWith(".html")) {
    const base = cut(p, ".html");
    branch.push(redirect(p, `${base}/`), serve(p), redirect(`${base}/index.html`, `${base}/`));
  }
  return [...branch, serve(p), redirect(`${p}.html`, `${p}/`), redirect(`${p}/index.html`, `${p}/`)];
}

function dropTrailingSlash(p: string): Check[] {
  const branch: Check[] = [];
  if (p.endsWith("/index")) {
    const base = cut(p, "/index");
    branch.push(serve(p));
    if (p === "/index") branch.push(redirect("/index.html", "/"));
    else branch.push(redirect(`${base}.html`, base), redirect(`${p}.html`, base));
  } else if (p.endsWith("/index.html")) {
    const base = cut(p, "/index.html");
    if (p === "/index.html") branch.push(redirect("/index.html", "/"));
    else branch.push(redirect(p, base), serve(p), redirect(`${base}.html`, base));
  } else if (p.endsWith("/")) {
    const base = cut(p, "/");
    if (p === "/") branch.push(serve("/index.html"));
    else branch.push(redirect(`${base}.html`, base), redirect(`${base}/index.html`, base));
  } else if (p.endsWith(".html")) {
    const base = cut(p, ".html");
    branch.push(redirect(p, base), redirect(`${base}/index.html`, base));
  }
  return [...branch, serve(p), serve(`${p}.html`), serve(`${p}/index.html`)];
}

const HTML_HANDLING = {
  "auto-trailing-slash": autoTrailingSlash,
  "force-trailing-slash": forceTrailingSlash,
  "drop-trailing-slash": dropTrailingSlash,
  none: (p: string): Check[] => [serve(p)],
};

/** The not-found handling; `auto` is Pages' inference, the nearest 404.html and then the single-page app. */
function notFound(p: string, manifest: Manifest, settings: ServingSettings): Intent {
  const mode = settings.notFoundHandling;
  if (mode === "404-page" || mode === "auto") {
    const page = nearest404(manifest, p);
    if (page) return { asset: page, status: 404, notFound: true };
  }
  if (mode === "single-page-application" || mode === "auto") {
    const index = lookup(manifest, "/index.html");
    if (index) return { asset: index, status: 200, notFound: true };
  }
  return null;
}

/** Workers' getIntent for a decoded path. `skipRedirects` is its recursion from safeRedirect. */
export function workersIntent(
  p: string,
  manifest: Manifest,
  settings: ServingSettings,
  skipRedirects = false,
): Intent {
  for (const check of HTML_HANDLING[settings.htmlHandling](p)) {
    if ("serve" in check) {
      const asset = lookup(manifest, check.serve);
      if (asset) return { asset, status: 200, notFound: false };
      continue;
    }
    if (skipRedirects || lookup(manifest, check.to)) continue;
    const target = workersIntent(check.to, manifest, settings, true);
    // Workers compares ETags; in `wrangler dev` every file has its own, so the same ETag is the same file.
    if (target && "asset" in target && target.asset.path === lookup(manifest, check.file)?.path)
      return { redirect: check.to };
  }
  return notFound(p, manifest, settings);
}

/** Workers' decodePath: each segment decoded (left as is when it cannot be), runs of `/` made one. */
export function decodeWorkersPath(pathname: string): string {
  return pathname
    .split("/")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join("/")
    .replace(/\/+/g, "/");
}

/** Workers' encodePath, the canonical form of a path: each segment through encodeURIComponent. */
export function encodeWorkersPath(path: string): string {
  return path
    .split("/")
    .map((segment) => {
      try {
        return encodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join("/");
}
