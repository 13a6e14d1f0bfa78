import { describe, expect, it } from "vitest";
import { contentTypeFor, MIN_VARIANT_BYTES, wantsVariants, workersContentType } from "../src/mime.ts";

describe("wantsVariants: which files the builder pre-compresses", () => {
  it.each([
    ["index.html", true],
    ["assets/app.3f2a.js", true],
    ["assets/app.mjs", true],
    ["style.css", true],
    ["data.json", true],
    ["app.js.map", true],
    ["site.webmanifest", true],
    ["feed.xml", true],
    ["robots.txt", true],
    ["logo.svg", true],
    ["module.wasm", true],
    ["photo.jpg", false],
    ["image.PNG", false],
    ["font.woff2", false],
    ["archive.zip", false],
    ["video.mp4", false],
    ["no-extension", false],
    // The router never serves these; they are typed application/octet-stream like any unknown file.
    ["_redirects", false],
    ["_headers", false],
  ])("%s → %s", (path, expected) => {
    expect(wantsVariants(path, 10_000)).toBe(expected);
  });

  it("leaves out files under the minimum size, whatever their type", () => {
    expect(wantsVariants("a.js", MIN_VARIANT_BYTES - 1)).toBe(false);
    expect(wantsVariants("a.js", MIN_VARIANT_BYTES)).toBe(true);
    expect(wantsVariants("a.js", 0)).toBe(false);
  });

  it("gives a charset to text/* types only, as Pages does", () => {
    expect(contentTypeFor("a.txt")).toBe("text/plain; charset=utf-8");
    expect(contentTypeFor("feed.xml")).toBe("application/xml");
    expect(contentTypeFor("data.json")).toBe("application/json");
  });

  it("decides by the same type the manifest gives the file", () => {
    expect(contentTypeFor("Index.HTML")).toBe("text/html; charset=utf-8");
    expect(wantsVariants("Index.HTML", 1000)).toBe(true);
  });
});

describe("workersContentType: what Workers' asset server sends", () => {
  it.each([
    ["page", null],
    ["dir/.hidden", null],
    ["data.unknownext", null],
    ["tool.bin", "application/octet-stream"],
    ["SETUP.EXE", "application/octet-stream"],
    ["a.js", "text/javascript; charset=utf-8"],
  ])("%s → %s", (path, expected) => {
    expect(workersContentType(path, contentTypeFor(path))).toBe(expected);
  });
});
