import type { Manifest, ManifestEntry } from "@miaobu/shared";

/** How a project treats trailing slashes and `.html` (`auto` is Cloudflare Pages' behaviour). */
export type TrailingSlashMode = "auto" | "force-trailing-slash" | "drop-trailing-slash" | "none";
/** What a project answers for a missing path (`auto` infers it as Pages does). */
export type NotFoundMode = "auto" | "spa" | "404-page" | "none";

/** A file of the manifest chosen to answer a request. */
export interface Asset {
  path: string;
  entry: ManifestEntry;
}

/** What a (decoded) request path resolves to within one deployment. */
export type PathResolution =
  | { kind: "file"; asset: Asset }
  /** `to` is a decoded path: the canonical URL of the same file. */
  | { kind: "redirect"; to: string }
  | { kind: "not-found" };

/** The rules files are read by the platform, never served, as on Pages. */
const HIDDEN = new Set(["/_headers", "/_redirects"]);

/** The manifest entry at exactly `path`, if any (own keys only: they come from JSON). */
export function lookup(manifest: Manifest, path: string): Asset | null {
  if (HIDDEN.has(path) || !Object.hasOwn(manifest.files, path)) return null;
  const entry = manifest.files[path];
  return entry ? { path, entry } : null;
}

/** Decodes a URL pathname; null when its percent-encoding is not valid UTF-8. */
export function decodePathname(pathname: string): string | null {
  try {
    const path = decodeURIComponent(pathname);
    return path.startsWith("/") ? path : `/${path}`;
  } catch {
    return null;
  }
}

type Step = { serve: string } | { redirect: string; to: string };

/**
 * The candidates a path tries, in order, per mode: serve a file that exists, or redirect to `to` when
 * `redirect` exists and `to` would serve that very file. Mirrors the html handling of Cloudflare's asset
 * server: `auto` = Pages (`/a.html` → `/a`, `/dir` → `/dir/`), the others as Workers' `html_handling`.
 */
function steps(p: string, mode: Exclude<TrailingSlashMode, "none">): Step[] {
  const out: Step[] = [];
  const add = (redirect: string, to: string) => out.push({ redirect, to });
  const slash = mode === "force-trailing-slash";
  const drop = mode === "drop-trailing-slash";
  if (p === "/") return [{ serve: "/index.html" }];
  if (p.endsWith("/index")) {
    const dir = p.slice(0, -"index".length);
    const base = p.slice(0, -"/index".length);
    out.push({ serve: p });
    add(`${p}.html`, drop ? base || "/" : dir);
    if (base) add(`${base}.html`, slash ? dir : base);
  } else if (p.endsWith("/index.html")) {
    const dir = p.slice(0, -"index.html".length);
    const base = p.slice(0, -"/index.html".length);
    add(p, drop ? base || "/" : dir);
    if (base) add(`${base}.html`, slash ? dir : base);
  } else if (p.endsWith(".html")) {
    const base = p.slice(0, -".html".length);
    if (base) {
      add(p, slash ? `${base}/` : base);
      add(`${base}/index.html`, drop ? base : `${base}/`);
    }
  }
  if (p.endsWith("/")) {
    const base = p.slice(0, -1);
    if (drop) add(`${p}index.html`, base);
    else out.push({ serve: `${p}index.html` });
    if (slash) out.push({ serve: `${base}.html` });
    else add(`${base}.html`, base);
  } else if (!p.endsWith(".html")) {
    out.push({ serve: p });
    if (slash) add(`${p}.html`, `${p}/`);
    else out.push({ serve: `${p}.html` });
    if (drop) out.push({ serve: `${p}/index.html` });
    else add(`${p}/index.html`, `${p}/`);
  }
  out.push({ serve: p });
  return out;
}

/**
 * Resolves a decoded request path against a manifest. With `noRedirects` (a `_redirects` rewrite) only
 * files are served, never a redirect to a canonical URL. Paths are only ever keys into the manifest, so
 * `..` or odd characters can do no more than miss.
 */
export function resolvePath(
  path: string,
  manifest: Manifest,
  mode: TrailingSlashMode,
  noRedirects = false,
): PathResolution {
  if (mode === "none") {
    const asset = lookup(manifest, path);
    return asset ? { kind: "file", asset } : { kind: "not-found" };
  }
  for (const step of steps(path, mode)) {
    if ("serve" in step) {
      const asset = lookup(manifest, step.serve);
      if (asset) return { kind: "file", asset };
      continue;
    }
    // A redirect only to a URL that would serve the same file, never over a file that exists there, and
    // never to `//…`, which a browser would read as another host.
    if (noRedirects || step.to.startsWith("//") || step.to === path) continue;
    if (!lookup(manifest, step.redirect) || lookup(manifest, step.to)) continue;
    const target = resolvePath(step.to, manifest, mode, true);
    if (target.kind === "file" && target.asset.path === step.redirect)
      return { kind: "redirect", to: step.to };
  }
  return { kind: "not-found" };
}

/**
 * The page answering a missing path. `auto` is Pages' inference: the nearest `404.html` walking up
 * the path (status 404); when there is none, the site is taken for a single-page app and `/index.html`
 * answers with 200.
 */
export function notFoundPage(
  path: string,
  manifest: Manifest,
  mode: NotFoundMode,
): { asset: Asset; status: 200 | 404 } | null {
  if (mode === "auto" || mode === "404-page") {
    let dir = path;
    while (dir.length > 0) {
      dir = dir.slice(0, dir.lastIndexOf("/"));
      const page = lookup(manifest, `${dir}/404.html`);
      if (page) return { asset: page, status: 404 };
    }
  }
  if (mode === "auto" || mode === "spa") {
    const index = lookup(manifest, "/index.html");
    if (index) return { asset: index, status: 200 };
  }
  return null;
}
