import type { Manifest, ManifestEntry } from "@miaobu/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../src/manifest.ts";
import { decodePathname, resolveAsset } from "../src/resolve-asset.ts";

function entry(n: number): ManifestEntry {
  return { hash: n.toString(16).padStart(64, "0"), size: n, contentType: "text/html; charset=utf-8" };
}

function manifestOf(paths: string[]): Manifest {
  return { version: 1, deploymentId: "dpl_x", files: Object.fromEntries(paths.map((p, i) => [p, entry(i)])) };
}

const site = manifestOf([
  "/index.html",
  "/about.html",
  "/blog/index.html",
  "/docs/index.html",
  "/docs.html",
  "/app.js",
  "/café.html",
  "/a b.txt",
  "/100%.txt",
  "/photo",
]);
const with404 = manifestOf(["/index.html", "/404.html"]);

describe("resolveAsset", () => {
  const table: Array<[string, Manifest, ReturnType<typeof resolveAsset>["kind"], string | null]> = [
    ["/", site, "file", "/index.html"],
    ["/index.html", site, "file", "/index.html"],
    ["/about", site, "file", "/about.html"],
    ["/about.html", site, "file", "/about.html"],
    ["/blog", site, "file", "/blog/index.html"],
    ["/blog/", site, "file", "/blog/index.html"],
    ["/docs", site, "file", "/docs.html"],
    ["/docs/", site, "file", "/docs/index.html"],
    ["/app.js", site, "file", "/app.js"],
    ["/photo", site, "file", "/photo"],
    ["/caf%C3%A9.html", site, "file", "/café.html"],
    ["/caf%c3%a9", site, "file", "/café.html"],
    ["/a%20b.txt", site, "file", "/a b.txt"],
    ["/100%25.txt", site, "file", "/100%.txt"],
    ["/about/", site, "not-found", null],
    ["/app.js/", site, "not-found", null],
    ["/APP.JS", site, "not-found", null],
    ["/missing", site, "not-found", null],
    ["/../index.html", site, "not-found", null],
    ["/constructor", site, "not-found", null],
    ["/__proto__", site, "not-found", null],
    ["/missing", with404, "not-found", "/404.html"],
    ["/deep/missing/", with404, "not-found", "/404.html"],
    ["/100%.txt", site, "bad-request", null],
    ["/%E0%A4%A", site, "bad-request", null],
    ["/%zz", site, "bad-request", null],
    ["/%C3", site, "bad-request", null],
    ["/%FF", site, "bad-request", null],
  ];

  it.each(table)("%s → %s %s", (pathname, manifest, kind, path) => {
    const result = resolveAsset(pathname, manifest);
    expect(result.kind).toBe(kind);
    if (result.kind === "file") expect(result.asset.path).toBe(path);
    if (result.kind === "not-found") expect(result.page?.path ?? null).toBe(path);
    if (result.kind === "file") expect(result.asset.entry).toBe(manifest.files[result.asset.path]);
  });

  const segment = fc
    .string({ minLength: 1, maxLength: 12, unit: "grapheme" })
    .filter((s) => !s.includes("/"));
  const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`);

  it("serves every manifest path requested as the URL parser would encode it", () => {
    fc.assert(
      fc.property(fc.uniqueArray(filePath, { minLength: 1, maxLength: 8 }), (paths) => {
        const manifest = manifestOf(paths);
        for (const path of paths) {
          const encoded = path
            .split("/")
            .map((s) => encodeURIComponent(s))
            .join("/");
          const result = resolveAsset(encoded, manifest);
          expect(result.kind).toBe("file");
          if (result.kind === "file") expect(result.asset.path).toBe(path);
        }
      }),
    );
  });

  it("never throws, and only ever answers a file of the manifest", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (pathname) => {
        const result = resolveAsset(pathname, site);
        if (result.kind === "file") expect(Object.hasOwn(site.files, result.asset.path)).toBe(true);
        if (result.kind === "bad-request") expect(decodePathname(pathname)).toBeNull();
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
      "a header-breaking type",
      JSON.stringify({ ...good, files: { "/a": { ...entry(1), contentType: "a\r\nb" } } }),
    ],
  ])("refuses %s", (_, text) => {
    expect(() => parseManifest(text)).toThrow();
  });
});
