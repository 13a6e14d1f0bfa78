import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ProjectSettings, productionSite } from "./seed.ts";

// Where Workers' asset server (packages/workers-shared/asset-worker in workers-sdk) differs from Pages' in
// `_redirects` and file types, for a project with Workers' settings; the defaults keep Pages' behaviour.

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(url, { redirect: "manual", ...init }));
}

const PAGES: ProjectSettings = {};
const WORKERS: ProjectSettings = { htmlHandling: "auto-trailing-slash", notFoundHandling: "none" };
const NONE: ProjectSettings = { htmlHandling: "none", notFoundHandling: "none" };

const FILES = {
  "/index.html": "home",
  "/b/index.html": "b",
  "/example.com/post.html": "a page named like a host",
  "/page": "no extension",
  "/data.unknownext": "unknown",
  "/tool.bin": "binary",
  "/_redirects": [
    "/static //example.com/static",
    "/a/ /index.html 200",
    "/a/ /b/ 301",
    "/blog/* //example.com/:splat",
    "/s/* /t/:splat 301",
    "/rw/* /example.com//:splat 200",
  ].join("\n"),
};

async function locationOf(site: { host: string }, path: string): Promise<[number, string | null]> {
  const res = await get(`http://${site.host}${path}`);
  await res.body?.cancel();
  return [res.status, res.headers.get("location")];
}

describe("a dynamic rule's destination", () => {
  it("has its runs of `/` collapsed on Workers once filled in, unless it starts with scheme://", async () => {
    const site = await productionSite("w-collapse", FILES, WORKERS);
    expect(await locationOf(site, "/blog/post?q=1")).toEqual([302, "/example.com/post?q=1"]);
    expect(await locationOf(site, "/s//evil")).toEqual([301, "/t/evil"]);
    // A static rule's destination is kept: another host, with the request's scheme.
    expect(await locationOf(site, "/static")).toEqual([302, "http://example.com/static"]);
    // A rewrite reads the collapsed path too.
    const rewritten = await get(`http://${site.host}/rw/post`);
    expect([rewritten.status, await rewritten.text()]).toEqual([200, "a page named like a host"]);
  });

  it("keeps them on Pages", async () => {
    const site = await productionSite("p-collapse", FILES, PAGES);
    expect(await locationOf(site, "/blog/post?q=1")).toEqual([302, "http://example.com/post?q=1"]);
    expect(await locationOf(site, "/s//evil")).toEqual([301, "/t//evil"]);
  });
});

describe("a `…/ → …/index.html` rule, refused at deploy as a loop", () => {
  it.each([
    ["Pages", PAGES],
    ["Workers with an html handling", WORKERS],
  ])("is skipped on %s: the next rule for its source answers", async (_, settings) => {
    const site = await productionSite("loop-skip", FILES, settings);
    expect(await locationOf(site, "/a/")).toEqual([301, "/b/"]);
  });

  it("applies on Workers with html handling none, as Workers accepts it there", async () => {
    const site = await productionSite("loop-none", FILES, NONE);
    const res = await get(`http://${site.host}/a/`);
    expect([res.status, await res.text()]).toEqual([200, "home"]);
  });
});

describe("a file of a type mime does not know", () => {
  it("has no Content-Type on Workers, even in a 304; mime's own application/octet-stream is kept", async () => {
    const site = await productionSite("w-type", FILES, NONE);
    for (const path of ["/page", "/data.unknownext"]) {
      const res = await get(`http://${site.host}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBeNull();
      const etag = res.headers.get("etag") ?? "";
      await res.text();
      const notModified = await get(`http://${site.host}${path}`, { headers: { "if-none-match": etag } });
      expect([notModified.status, notModified.headers.get("content-type")]).toEqual([304, null]);
    }
    const bin = await get(`http://${site.host}/tool.bin`);
    expect(bin.headers.get("content-type")).toBe("application/octet-stream");
    await bin.text();
  });

  it("is application/octet-stream on Pages", async () => {
    const site = await productionSite("p-type", FILES, PAGES);
    const res = await get(`http://${site.host}/page`);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    await res.text();
  });
});
