import type { Manifest } from "@miaobu/shared";
import type { Asset, ServingSettings } from "./asset-lookup.ts";
import { pagesHtmlHandling, pagesNotFound } from "./pages-assets.ts";
import { decodeWorkersPath, encodeWorkersPath, workersIntent } from "./workers-assets.ts";

export {
  type Asset,
  type HtmlHandling,
  lookup,
  type NotFoundHandling,
  type ServingSettings,
} from "./asset-lookup.ts";

/** What a request path resolves to within one deployment. */
export type Resolution =
  /** `notFound`: the file is the not-found handling's answer (a 404 page or the single-page app). */
  | { kind: "file"; asset: Asset; status: 200 | 404; notFound: boolean }
  /** `location` is an encoded path, without the query string. */
  | { kind: "redirect"; status: 307 | 308; location: string }
  | { kind: "not-found" };

export interface ResolveOptions {
  /** Off to look only for a file, never a redirect (a file of another deployment). */
  redirects?: boolean;
  /** Apply the not-found handling (off to look a file up in another deployment). */
  notFoundHandling?: boolean;
}

/**
 * A project with the default settings (`auto-trailing-slash` and `auto`, the only configuration Pages has)
 * is served as Cloudflare Pages serves a folder; any other choice as a Worker with static assets does.
 */
export function isPagesFlavour(settings: ServingSettings): boolean {
  return settings.htmlHandling === "auto-trailing-slash" && settings.notFoundHandling === "auto";
}

/** Decodes a URL pathname as Pages does: kept as it is when its percent-encoding is not valid UTF-8. */
export function decodePathname(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/** Percent-encodes a decoded path for a `Location` header. */
function encodePath(path: string): string {
  return encodeURI(path).replace(/\?/g, "%3F").replace(/#/g, "%23");
}

function resolvePages(pathname: string, manifest: Manifest, options: ResolveOptions): Resolution {
  const path = decodePathname(pathname);
  const found = pagesHtmlHandling(path, manifest, options.redirects === false);
  // Pages never sends `//…` or the like, which a browser would read as another host (stripLeadingDoubleSlashes).
  if (found && "redirect" in found) {
    const location = encodePath(found.redirect).replace(/^(\/|%2F|%2f|%5C|%5c|%09|\s|\\)+(.*)/, "/$2");
    return { kind: "redirect", status: 308, location };
  }
  if (found) return { kind: "file", asset: found.asset, status: 200, notFound: false };
  const page = options.notFoundHandling === false ? null : pagesNotFound(path, manifest);
  return page ? { kind: "file", ...page, notFound: true } : { kind: "not-found" };
}

function resolveWorkers(
  pathname: string,
  manifest: Manifest,
  settings: ServingSettings,
  options: ResolveOptions,
): Resolution {
  const path = decodeWorkersPath(pathname);
  const handling =
    options.notFoundHandling === false ? { ...settings, notFoundHandling: "none" as const } : settings;
  const intent = workersIntent(path, manifest, handling);
  if (!intent) return { kind: "not-found" };
  // One redirect to the canonical URL, for the html handling and the path's encoding at once.
  const location = encodeWorkersPath("redirect" in intent ? intent.redirect : path);
  if ("redirect" in intent || location !== pathname) return { kind: "redirect", status: 307, location };
  return { kind: "file", asset: intent.asset, status: intent.status, notFound: intent.notFound };
}

/**
 * Resolves a request's URL pathname (still encoded) against a manifest, as Pages or as Workers' asset
 * server would (`isPagesFlavour`). Paths are only ever keys into the manifest, so `..` or odd characters
 * can do no more than miss.
 */
export function resolveAsset(
  pathname: string,
  manifest: Manifest,
  settings: ServingSettings,
  options: ResolveOptions = {},
): Resolution {
  return isPagesFlavour(settings)
    ? resolvePages(pathname, manifest, options)
    : resolveWorkers(pathname, manifest, settings, options);
}
