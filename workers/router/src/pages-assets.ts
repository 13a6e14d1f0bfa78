import type { Manifest } from "@miaobu/shared";
import { type Asset, lookup as lookupExactly, nearest404 } from "./asset-lookup.ts";

// Pages looks paths up with their empty segments collapsed (`/dir//index.html` is `/dir/index.html`): on
// disk in `wrangler pages dev`, as Workers' decodePath does. Redirects still use the path as it came.
const collapse = (path: string) => path.replace(/\/{2,}/g, "/");
const lookup = (manifest: Manifest, path: string) => lookupExactly(manifest, collapse(path));

/** What a decoded path resolves to on Pages: a file, a redirect (to a decoded path), or nothing. */
export type PagesResolution = { asset: Asset } | { redirect: string } | null;

/**
 * Cloudflare Pages' html handling, step for step (workers-sdk, packages/pages-shared/asset-server/
 * handler.ts, generateResponse). It redirects `…/index` and `…/index/` without looking whether anything is
 * there, and `/a.html` to `/a` unless a file `/a` exists; the target of a `_redirects` rewrite too. With
 * `noRedirects` (a file of the previous deployment, for version skew) only files are served.
 */
export function pagesHtmlHandling(p: string, manifest: Manifest, noRedirects: boolean): PagesResolution {
  const found = (path: string) => {
    const asset = lookup(manifest, path);
    return asset ? { asset } : null;
  };
  const to = (path: string) => (noRedirects ? null : { redirect: path });

  if (p.endsWith("/")) {
    const index = found(`${p}index.html`);
    if (index) return index;
    if (p.endsWith("/index/")) return to(`/${p.slice(1, -"index/".length)}`);
    if (lookup(manifest, `${p.slice(0, -1)}.html`)) return to(`/${p.slice(1, -1)}`);
    return null;
  }
  const exact = found(p);
  if (exact) {
    if (!p.endsWith(".html")) return exact;
    const extensionless = p.slice(0, -".html".length);
    if (extensionless.endsWith("/index")) return to(`${extensionless.slice(0, -"index".length)}`) ?? exact;
    if (lookup(manifest, extensionless) || extensionless === "/") return exact;
    return to(extensionless) ?? exact;
  }
  if (p.endsWith("/index")) return to(`/${p.slice(1, -"index".length)}`);
  const html = found(`${p}.html`);
  if (html) return html;
  if (lookup(manifest, `${p}/index.html`)) return to(`${p}/`);
  return null;
}

/** Pages' answer for a missing path: the nearest `404.html` (status 404), else `/index.html` (200). */
export function pagesNotFound(p: string, manifest: Manifest): { asset: Asset; status: 200 | 404 } | null {
  const page = nearest404(manifest, collapse(p));
  if (page) return { asset: page, status: 404 };
  const index = lookup(manifest, "/index.html");
  return index ? { asset: index, status: 200 } : null;
}
