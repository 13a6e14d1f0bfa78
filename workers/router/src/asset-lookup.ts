import type { Manifest, ManifestEntry } from "@miaobu/shared";

/** How a project treats trailing slashes and `.html`: Cloudflare Workers' `assets.html_handling`. */
export type HtmlHandling = "auto-trailing-slash" | "force-trailing-slash" | "drop-trailing-slash" | "none";
/**
 * What a project answers for a missing path: Workers' `assets.not_found_handling`, or `auto`, Cloudflare
 * Pages' inference (the nearest `404.html`, else a single-page app).
 */
export type NotFoundHandling = "auto" | "single-page-application" | "404-page" | "none";

/** A project's serving settings. */
export interface ServingSettings {
  htmlHandling: HtmlHandling;
  notFoundHandling: NotFoundHandling;
}

/** A file of the manifest chosen to answer a request. */
export interface Asset {
  path: string;
  entry: ManifestEntry;
}

/** The rules files are read by the platform, never served, as on Pages and Workers. */
const HIDDEN = new Set(["/_headers", "/_redirects"]);

/** The manifest entry at exactly `path`, if any (own keys only: they come from JSON). */
export function lookup(manifest: Manifest, path: string): Asset | null {
  if (HIDDEN.has(path) || !Object.hasOwn(manifest.files, path)) return null;
  const entry = manifest.files[path];
  return entry ? { path, entry } : null;
}

/**
 * The nearest `404.html` walking up from `path` (`/a/b` tries `/a/404.html`, then `/404.html`), as both
 * Pages and Workers' `404-page` look for it.
 */
export function nearest404(manifest: Manifest, path: string): Asset | null {
  let dir = path;
  while (dir) {
    dir = dir.slice(0, dir.lastIndexOf("/"));
    const page = lookup(manifest, `${dir}/404.html`);
    if (page) return page;
  }
  return null;
}
