import type { Manifest, ManifestEntry } from "@miaobu/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../src/manifest.ts";
import {
  decodePathname,
  type HtmlHandling,
  isPagesFlavour,
  type NotFoundHandling,
  type Resolution,
  resolveAsset,
  type ServingSettings,
} from "../src/resolve-asset.ts";

function entry(n: number): ManifestEntry {
  return { hash: n.toString(16).padStart(64, "0"), size: n, contentType: "text/html; charset=utf-8" };
}

function manifestOf(paths: string[]): Manifest {
  return { version: 1, deploymentId: "dpl_x", files: Object.fromEntries(paths.map((p, i) => [p, entry(i)])) };
}

/** `200 /path` serves that file, `308 → /to` redirects, `404` misses. */
function show(r: Resolution): string {
  if (r.kind === "file") return `${r.status} ${r.asset.path}`;
  if (r.kind === "redirect") return `${r.status} → ${r.location}`;
  return "404";
}

const PAGES: ServingSettings = { htmlHandling: "auto-trailing-slash", notFoundHandling: "auto" };

// The site of Cloudflare's html_handling documentation, a page both as file and folder, and 404 pages.
const docs = manifestOf([
  "/index.html",
  "/file.html",
  "/folder/index.html",
  "/both.html",
  "/both/index.html",
  "/app.js",
  "/photo",
  "/café.html",
  "/404.html",
  "/blog/404.html",
  "/blog/post.html",
  "/_redirects",
  "/_headers",
]);

describe("the default pair is Cloudflare Pages (packages/pages-shared/asset-server/handler.ts)", () => {
  it("is only the default pair", () => {
    expect(isPagesFlavour(PAGES)).toBe(true);
    expect(isPagesFlavour({ ...PAGES, notFoundHandling: "single-page-application" })).toBe(false);
    expect(isPagesFlavour({ ...PAGES, htmlHandling: "force-trailing-slash" })).toBe(false);
  });

  it.each([
    ["/", "200 /index.html"],
    ["/index", "308 → /"],
    ["/index.html", "308 → /"],
    ["/index/", "308 → /"],
    ["/file", "200 /file.html"],
    ["/file/", "308 → /file"],
    ["/file.html", "308 → /file"],
    // Pages redirects `…/index` without looking whether anything is there (Workers: only if it leads to a file).
    ["/file/index", "308 → /file/"],
    ["/folder", "308 → /folder/"],
    ["/folder/", "200 /folder/index.html"],
    ["/folder/index.html", "308 → /folder/"],
    ["/folder.html", "404 /404.html"],
    ["/both", "200 /both.html"],
    ["/both/", "200 /both/index.html"],
    ["/both.html", "308 → /both"],
    ["/app.js", "200 /app.js"],
    ["/app.js/", "404 /404.html"],
    ["/photo", "200 /photo"],
    ["/caf%C3%A9", "200 /café.html"],
    ["/caf%C3%A9/", "308 → /caf%C3%A9"],
    ["/missing", "404 /404.html"],
    ["/blog/missing", "404 /blog/404.html"],
    ["/blog/x/y/", "404 /blog/404.html"],
    ["/blogger", "404 /404.html"],
    ["/_redirects", "404 /404.html"],
    // Never `//…` in a Location, which a browser would read as another host.
    ["//index/", "308 → /"],
    // Percent-encoding that cannot be decoded is looked up as it is, as Pages does.
    ["/%ZZ", "404 /404.html"],
    // Empty segments do not count in lookups (Pages' on disk, Workers' decodePath).
    ["/folder//", "200 /folder/index.html"],
    ["/folder%2F/", "200 /folder/index.html"],
    ["//file", "200 /file.html"],
  ])("%s → %s", (path, want) => {
    expect(show(resolveAsset(path, docs, PAGES))).toBe(want);
  });

  it("does not redirect /a.html over a file /a", () => {
    const m = manifestOf(["/page.html", "/page"]);
    expect(show(resolveAsset("/page.html", m, PAGES))).toBe("200 /page.html");
    expect(show(resolveAsset("/page", m, PAGES))).toBe("200 /page");
  });

  it("looks only for files with redirects off (another deployment, for version skew)", () => {
    expect(show(resolveAsset("/index.html", docs, PAGES, { redirects: false }))).toBe("200 /index.html");
    expect(show(resolveAsset("/folder", docs, PAGES, { redirects: false }))).toBe("404 /404.html");
  });

  it.each([
    [["/index.html", "/assets/app.js"], "/any/route", "200 /index.html"],
    [["/index.html", "/assets/app.js"], "/missing.js", "200 /index.html"],
    [["/index.html", "/docs/404.html"], "/docs/x", "404 /docs/404.html"],
    [["/index.html", "/docs/404.html"], "/other", "200 /index.html"],
    [["/app.js"], "/x", "404"],
  ])("infers not-found: %j %s → %s", (paths, path, want) => {
    expect(show(resolveAsset(path, manifestOf(paths), PAGES))).toBe(want);
  });
});

describe("any other pair is Workers' asset server: Miaobu's `auto` not-found handling", () => {
  const nested = manifestOf(["/index.html", "/404.html", "/blog/404.html", "/blog/post.html"]);
  const spa = manifestOf(["/index.html", "/assets/app.js"]);
  const bare = manifestOf(["/app.js"]);

  it.each([
    ["force-trailing-slash", nested, "/blog/missing", "404 /blog/404.html"],
    ["drop-trailing-slash", nested, "/missing", "404 /404.html"],
    ["none", spa, "/any/route", "200 /index.html"],
    ["none", spa, "/", "200 /index.html"],
    ["force-trailing-slash", spa, "/assets/missing.js", "200 /index.html"],
    ["drop-trailing-slash", bare, "/x", "404"],
    ["force-trailing-slash", nested, "/blog/post", "307 → /blog/post/"],
  ] as const)("%s: %s → %s", (htmlHandling, manifest, path, want) => {
    expect(show(resolveAsset(path, manifest, { htmlHandling, notFoundHandling: "auto" }))).toBe(want);
  });

  it("looks a file up without the not-found handling (another deployment, for version skew)", () => {
    const settings: ServingSettings = { htmlHandling: "none", notFoundHandling: "auto" };
    expect(show(resolveAsset("/x", spa, settings, { notFoundHandling: false }))).toBe("404");
    expect(show(resolveAsset("/x", spa, PAGES, { notFoundHandling: false }))).toBe("404");
    const found = resolveAsset("/x", spa, settings);
    expect(found.kind === "file" && found.notFound).toBe(true);
  });
});

describe("decodePathname", () => {
  it.each([
    ["/caf%C3%A9.html", "/café.html"],
    ["/a%20b", "/a b"],
    ["/100%25.txt", "/100%.txt"],
    ["/%E0%A4%A", "/%E0%A4%A"],
    ["/%zz", "/%zz"],
    ["/%C3", "/%C3"],
    ["/%FF", "/%FF"],
  ])("%s → %s", (raw, decoded) => {
    expect(decodePathname(raw)).toBe(decoded);
  });
});

describe("resolveAsset properties", () => {
  const segment = fc
    .string({ minLength: 1, maxLength: 12, unit: "grapheme" })
    .filter((s) => !s.includes("/") && s !== "index" && !s.endsWith(".html") && !s.startsWith("_"));
  const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`);
  const settings = fc.record({
    htmlHandling: fc.constantFrom<HtmlHandling>(
      "auto-trailing-slash",
      "force-trailing-slash",
      "drop-trailing-slash",
      "none",
    ),
    notFoundHandling: fc.constantFrom<NotFoundHandling>(
      "auto",
      "single-page-application",
      "404-page",
      "none",
    ),
  });
  const encode = (path: string) => path.split("/").map(encodeURIComponent).join("/");

  it("serves every non-HTML manifest path at its own (encoded) URL with every setting", () => {
    fc.assert(
      fc.property(fc.uniqueArray(filePath, { minLength: 1, maxLength: 8 }), settings, (paths, pair) => {
        const manifest = manifestOf(paths);
        for (const path of paths)
          expect(show(resolveAsset(encode(path), manifest, pair))).toBe(`200 ${path}`);
      }),
    );
  });

  it("never throws; files are in the manifest; a redirect goes elsewhere on the same host", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), settings, (raw, pair) => {
        const pathname = new URL(`http://x/${raw}`).pathname;
        const result = resolveAsset(pathname, docs, pair);
        if (result.kind === "file") expect(Object.hasOwn(docs.files, result.asset.path)).toBe(true);
        if (result.kind === "redirect") {
          expect(result.location.startsWith("//")).toBe(false);
          expect(result.location).not.toBe(pathname);
        }
      }),
    );
  });
});

describe("parseManifest", () => {
  const good = { version: 1, deploymentId: "dpl_x", files: { "/a": entry(1) } };

  it("accepts a well-formed manifest", () => {
    expect(parseManifest(JSON.stringify(good))).toEqual(good);
  });

  it.each([
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["another version", JSON.stringify({ ...good, version: 2 })],
    ["files as an array", JSON.stringify({ ...good, files: [] })],
    ["a relative path", JSON.stringify({ ...good, files: { a: entry(1) } })],
    ["a bad hash", JSON.stringify({ ...good, files: { "/a": { ...entry(1), hash: '"x"' } } })],
    ["a negative size", JSON.stringify({ ...good, files: { "/a": { ...entry(1), size: -1 } } })],
    [
      "a bad variant hash",
      JSON.stringify({
        ...good,
        files: { "/a": { ...entry(1), variants: { br: { hash: "../x", size: 1 } } } },
      }),
    ],
    [
      "a header-breaking type",
      JSON.stringify({ ...good, files: { "/a": { ...entry(1), contentType: "a\r\nb" } } }),
    ],
  ])("refuses %s", (_, text) => {
    expect(() => parseManifest(text)).toThrow();
  });
});
