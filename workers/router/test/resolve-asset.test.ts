import type { Manifest, ManifestEntry } from "@miaobu/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../src/manifest.ts";
import {
  decodePathname,
  notFoundPage,
  type PathResolution,
  resolvePath,
  type TrailingSlashMode,
} from "../src/resolve-asset.ts";

function entry(n: number): ManifestEntry {
  return { hash: n.toString(16).padStart(64, "0"), size: n, contentType: "text/html; charset=utf-8" };
}

function manifestOf(paths: string[]): Manifest {
  return { version: 1, deploymentId: "dpl_x", files: Object.fromEntries(paths.map((p, i) => [p, entry(i)])) };
}

// The site of Cloudflare's html_handling documentation, plus a page both as file and folder.
const site = manifestOf([
  "/index.html",
  "/file.html",
  "/folder/index.html",
  "/both.html",
  "/both/index.html",
  "/app.js",
  "/photo",
  "/café.html",
  "/_redirects",
  "/_headers",
]);

/** `200 /path` serves that file, `→ /to` redirects, `404` misses. */
function show(r: PathResolution): string {
  if (r.kind === "file") return `200 ${r.asset.path}`;
  if (r.kind === "redirect") return `→ ${r.to}`;
  return "404";
}

const matrix: Array<[string, Record<TrailingSlashMode, string>]> = [
  [
    "/",
    {
      auto: "200 /index.html",
      "force-trailing-slash": "200 /index.html",
      "drop-trailing-slash": "200 /index.html",
      none: "404",
    },
  ],
  ["/index", { auto: "→ /", "force-trailing-slash": "→ /", "drop-trailing-slash": "→ /", none: "404" }],
  [
    "/index.html",
    { auto: "→ /", "force-trailing-slash": "→ /", "drop-trailing-slash": "→ /", none: "200 /index.html" },
  ],
  [
    "/file",
    {
      auto: "200 /file.html",
      "force-trailing-slash": "→ /file/",
      "drop-trailing-slash": "200 /file.html",
      none: "404",
    },
  ],
  [
    "/file.html",
    {
      auto: "→ /file",
      "force-trailing-slash": "→ /file/",
      "drop-trailing-slash": "→ /file",
      none: "200 /file.html",
    },
  ],
  [
    "/file/",
    {
      auto: "→ /file",
      "force-trailing-slash": "200 /file.html",
      "drop-trailing-slash": "→ /file",
      none: "404",
    },
  ],
  [
    "/file/index",
    { auto: "→ /file", "force-trailing-slash": "→ /file/", "drop-trailing-slash": "→ /file", none: "404" },
  ],
  [
    "/file/index.html",
    { auto: "→ /file", "force-trailing-slash": "→ /file/", "drop-trailing-slash": "→ /file", none: "404" },
  ],
  [
    "/folder",
    {
      auto: "→ /folder/",
      "force-trailing-slash": "→ /folder/",
      "drop-trailing-slash": "200 /folder/index.html",
      none: "404",
    },
  ],
  [
    "/folder.html",
    {
      auto: "→ /folder/",
      "force-trailing-slash": "→ /folder/",
      "drop-trailing-slash": "→ /folder",
      none: "404",
    },
  ],
  [
    "/folder/",
    {
      auto: "200 /folder/index.html",
      "force-trailing-slash": "200 /folder/index.html",
      "drop-trailing-slash": "→ /folder",
      none: "404",
    },
  ],
  [
    "/folder/index",
    {
      auto: "→ /folder/",
      "force-trailing-slash": "→ /folder/",
      "drop-trailing-slash": "→ /folder",
      none: "404",
    },
  ],
  [
    "/folder/index.html",
    {
      auto: "→ /folder/",
      "force-trailing-slash": "→ /folder/",
      "drop-trailing-slash": "→ /folder",
      none: "200 /folder/index.html",
    },
  ],
  [
    "/both",
    {
      auto: "200 /both.html",
      "force-trailing-slash": "→ /both/",
      "drop-trailing-slash": "200 /both.html",
      none: "404",
    },
  ],
  [
    "/both/",
    {
      auto: "200 /both/index.html",
      "force-trailing-slash": "200 /both/index.html",
      "drop-trailing-slash": "→ /both",
      none: "404",
    },
  ],
  [
    "/both.html",
    {
      auto: "→ /both",
      "force-trailing-slash": "→ /both/",
      "drop-trailing-slash": "→ /both",
      none: "200 /both.html",
    },
  ],
  [
    "/app.js",
    {
      auto: "200 /app.js",
      "force-trailing-slash": "200 /app.js",
      "drop-trailing-slash": "200 /app.js",
      none: "200 /app.js",
    },
  ],
  ["/app.js/", { auto: "404", "force-trailing-slash": "404", "drop-trailing-slash": "404", none: "404" }],
  [
    "/photo",
    {
      auto: "200 /photo",
      "force-trailing-slash": "200 /photo",
      "drop-trailing-slash": "200 /photo",
      none: "200 /photo",
    },
  ],
  [
    "/café",
    {
      auto: "200 /café.html",
      "force-trailing-slash": "→ /café/",
      "drop-trailing-slash": "200 /café.html",
      none: "404",
    },
  ],
  ["/missing", { auto: "404", "force-trailing-slash": "404", "drop-trailing-slash": "404", none: "404" }],
  ["/_redirects", { auto: "404", "force-trailing-slash": "404", "drop-trailing-slash": "404", none: "404" }],
  ["/_headers", { auto: "404", "force-trailing-slash": "404", "drop-trailing-slash": "404", none: "404" }],
  ["//file/", { auto: "404", "force-trailing-slash": "404", "drop-trailing-slash": "404", none: "404" }],
  ["/__proto__", { auto: "404", "force-trailing-slash": "404", "drop-trailing-slash": "404", none: "404" }],
];

describe("resolvePath: the trailing slash and .html matrix", () => {
  const cases = matrix.flatMap(([path, modes]) =>
    (Object.entries(modes) as Array<[TrailingSlashMode, string]>).map(
      ([mode, want]) => [mode, path, want] as const,
    ),
  );
  it.each(cases)("%s %s → %s", (mode, path, want) => {
    expect(show(resolvePath(path, site, mode))).toBe(want);
  });

  it("does not redirect over a file that exists at the canonical URL", () => {
    const m = manifestOf(["/page.html", "/page"]);
    expect(show(resolvePath("/page.html", m, "auto"))).toBe("200 /page.html");
    expect(show(resolvePath("/page", m, "auto"))).toBe("200 /page");
  });

  it("never redirects when resolving a rewrite", () => {
    expect(show(resolvePath("/index.html", site, "auto", true))).toBe("200 /index.html");
    expect(show(resolvePath("/folder", site, "auto", true))).toBe("404");
  });
});

describe("notFoundPage: Pages' inference and the explicit modes", () => {
  const nested = manifestOf(["/index.html", "/404.html", "/blog/404.html", "/blog/post.html"]);
  const spa = manifestOf(["/index.html", "/assets/app.js"]);
  const onlyNested = manifestOf(["/index.html", "/docs/404.html"]);
  const bare = manifestOf(["/app.js"]);
  const show404 = (r: ReturnType<typeof notFoundPage>) => (r ? `${r.status} ${r.asset.path}` : "none");

  it.each([
    ["auto", nested, "/missing", "404 /404.html"],
    ["auto", nested, "/blog/missing", "404 /blog/404.html"],
    ["auto", nested, "/blog/deep/er/missing/", "404 /blog/404.html"],
    ["auto", nested, "/blogger", "404 /404.html"],
    ["auto", spa, "/any/route", "200 /index.html"],
    ["auto", spa, "/missing.js", "200 /index.html"],
    ["auto", onlyNested, "/docs/x", "404 /docs/404.html"],
    ["auto", onlyNested, "/other", "200 /index.html"],
    ["auto", bare, "/x", "none"],
    ["spa", nested, "/blog/missing", "200 /index.html"],
    ["spa", bare, "/x", "none"],
    ["404-page", nested, "/blog/missing", "404 /blog/404.html"],
    ["404-page", spa, "/x", "none"],
    ["none", nested, "/missing", "none"],
  ] as const)("%s: %s", (mode, manifest, path, want) => {
    expect(show404(notFoundPage(path, manifest, mode))).toBe(want);
  });
});

describe("decodePathname", () => {
  it.each([
    ["/caf%C3%A9.html", "/café.html"],
    ["/a%20b", "/a b"],
    ["/100%25.txt", "/100%.txt"],
    ["/%E0%A4%A", null],
    ["/%zz", null],
    ["/%C3", null],
    ["/%FF", null],
  ])("%s → %s", (raw, decoded) => {
    expect(decodePathname(raw)).toBe(decoded);
  });
});

describe("resolvePath properties", () => {
  const segment = fc
    .string({ minLength: 1, maxLength: 12, unit: "grapheme" })
    .filter((s) => !s.includes("/") && s !== "index" && !s.endsWith(".html") && !s.startsWith("_"));
  const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`);
  const modes = fc.constantFrom<TrailingSlashMode>(
    "auto",
    "force-trailing-slash",
    "drop-trailing-slash",
    "none",
  );

  it("serves every non-HTML manifest path at its own URL in every mode", () => {
    fc.assert(
      fc.property(fc.uniqueArray(filePath, { minLength: 1, maxLength: 8 }), modes, (paths, mode) => {
        const manifest = manifestOf(paths);
        for (const path of paths) {
          const encoded = path.split("/").map(encodeURIComponent).join("/");
          const decoded = decodePathname(encoded);
          expect(decoded).toBe(path);
          expect(show(resolvePath(path, manifest, mode))).toBe(`200 ${path}`);
        }
      }),
    );
  });

  it("never throws; files are in the manifest; a redirect leads to a file in one step", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), modes, (raw, mode) => {
        const path = `/${raw}`;
        const result = resolvePath(path, site, mode);
        if (result.kind === "file") expect(Object.hasOwn(site.files, result.asset.path)).toBe(true);
        if (result.kind === "redirect") {
          expect(result.to.startsWith("//")).toBe(false);
          expect(resolvePath(result.to, site, mode).kind).toBe("file");
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
