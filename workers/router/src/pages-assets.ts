import type { Manifest } from "@miaobu/shared";
import { type Asset, lookup, nearest404 } from "./asset-lookup.ts";

/** What a decoded path resolves to on Pages: a file, a redirect (to a decoded path), or nothing. */
export type PagesResolution = { asset: Asset } | { redirect: string } | null;

/**
 * Cloudflare Pages' html handling, step for step (workers-sdk, packages/pages-shared/asset-server/
 * handler.ts, generateResponse). It redirects `…/index` and `…/index/` without looking whether anything is
 * there, and `/a.html` to `/a` unless a file `/a` exists. With `noRedirects` (a `_redirects` rewrite, where
 * Miaobu serves the target as is) only files are served.
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
  const page = nearest404(manifest, p);
  if (page) return { asset: page, status: 404 };
  const index = lookup(manifest, "/index.html");
  return index ? { asset: index, status: 200 } : null;
}
