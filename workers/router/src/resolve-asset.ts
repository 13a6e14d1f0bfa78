import type { Manifest, ManifestEntry } from "@miaobu/shared";

/** A file of the manifest chosen to answer a request. */
export interface Asset {
  path: string;
  entry: ManifestEntry;
}

/** What a request path resolves to within one deployment. */
export type AssetResolution =
  | { kind: "file"; asset: Asset }
  | { kind: "not-found"; page: Asset | null }
  | { kind: "bad-request" };

function lookup(manifest: Manifest, path: string): Asset | null {
  // Manifest keys come from JSON, so only own properties count.
  if (!Object.hasOwn(manifest.files, path)) return null;
  const entry = manifest.files[path];
  return entry ? { path, entry } : null;
}

/** Decodes a URL pathname; null when its percent-encoding is not valid UTF-8. */
export function decodePathname(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

/**
 * Resolves a URL pathname (as `URL.pathname` gives it, percent-encoded) against a manifest.
 * `/` and `/dir/` serve `index.html`; `/about` serves `/about`, else `/about.html`, else `/about/index.html`.
 * A miss answers the site's `/404.html` when it has one. Paths are only ever keys into the manifest, so
 * `..` or odd characters can do no more than miss.
 */
export function resolveAsset(pathname: string, manifest: Manifest): AssetResolution {
  const path = decodePathname(pathname);
  if (path === null) return { kind: "bad-request" };
  const normalized = path.startsWith("/") ? path : `/${path}`;

  const candidates = normalized.endsWith("/")
    ? [`${normalized}index.html`]
    : [normalized, `${normalized}.html`, `${normalized}/index.html`];
  for (const candidate of candidates) {
    const asset = lookup(manifest, candidate);
    if (asset) return { kind: "file", asset };
  }
  return { kind: "not-found", page: lookup(manifest, "/404.html") };
}
