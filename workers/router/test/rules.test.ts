import { env, exports } from "cloudflare:workers";
import { storageKeys } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { productionSite } from "./seed.ts";

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(url, { redirect: "manual", ...init }));
}

const REDIRECTS = [
  "# comment",
  "/old /new 301",
  "/temp /new",
  "/see /new 303",
  "/keep /new 307",
  "/perm /new 308",
  "/with-query /new?from=rule 301",
  "/with-fragment /new#section 301",
  "/external https://example.com/landing 301",
  "/caf%C3%A9 /coffee 301",
  "/dyn/exact /static-first 301",
  "/dyn/* /splat/:splat 301",
  "/posts/:year/:slug /blog/:year/:slug 301",
  "/app/* /app/shell 200",
  "/docs/* /manual/:splat 200",
  "/info /about 200",
  "/to-html /about.html 200",
  "/to-dir /manual 200",
  "/to-index /index 200",
  "/shadow /new 301",
  "/bad /x 299",
].join("\n");

const FILES = {
  "/index.html": "home",
  "/new.html": "new page",
  "/shadow.html": "shadowed file",
  "/app/shell.html": "single page app",
  "/manual/intro.html": "manual intro",
  "/manual/index.html": "manual",
  "/about.html": "about",
  "/_redirects": REDIRECTS,
  "/_headers": [
    "/*",
    "  X-Frame-Options: DENY",
    "/app/*",
    "  Cache-Control: no-store",
    "/static/*",
    "  ! Access-Control-Allow-Origin",
    "  Content-Length: 1",
    "/movies/:title",
    "  X-Movie: :title",
    "https://:sub.localhost/hosted",
    "  X-Sub: :sub",
  ].join("\n"),
  "/static/app.js": "let x = 1;",
  "/404.html": "not here",
};

describe("_redirects in the router", () => {
  it.each([
    ["/old", 301, "/new"],
    ["/temp", 302, "/new"],
    ["/see", 303, "/new"],
    ["/keep", 307, "/new"],
    ["/perm", 308, "/new"],
    ["/old?utm=1", 301, "/new?utm=1"],
    ["/with-query?utm=1", 301, "/new?from=rule"],
    ["/with-fragment?x=1", 301, "/new?x=1#section"],
    ["/external", 301, "https://example.com/landing"],
    ["/café", 301, "/coffee"],
    ["/dyn/exact", 301, "/static-first"],
    ["/dyn/a/b", 301, "/splat/a/b"],
    ["/posts/2024/hello", 301, "/blog/2024/hello"],
    ["/shadow", 301, "/new"],
  ])("%s → %i %s", async (path, status, location) => {
    const site = await productionSite("redirects", FILES);
    const res = await get(`http://${site.host}${path}`);
    expect(res.status).toBe(status);
    expect(res.headers.get("location")).toBe(location);
    // _headers apply to redirects too.
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("rewrites with 200: the URL stays, the destination's file answers", async () => {
    const site = await productionSite("rewrites", FILES);
    for (const [path, body] of [
      ["/app/settings/profile", "single page app"],
      ["/docs/intro", "manual intro"],
      ["/info", "about"],
    ]) {
      const res = await get(`http://${site.host}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(body);
    }
    const spa = await get(`http://${site.host}/app/x`);
    expect(spa.headers.get("cache-control")).toBe("no-store");
    await spa.text();
  });

  // Pages resolves a rewrite's target as a request path (handler.ts, generateResponse): `.html`, a folder
  // without its slash and `…/index` answer its own redirect, with the request's query.
  it.each([
    ["/to-html?x=1", "/about?x=1"],
    ["/to-dir", "/manual/"],
    ["/to-index", "/"],
  ])("rewrites to a path Pages redirects: %s → 308 %s", async (path, location) => {
    const site = await productionSite("rewrite-redirects", FILES);
    const res = await get(`http://${site.host}${path}`);
    expect([res.status, res.headers.get("location")]).toEqual([308, location]);
    expect(await res.text()).toBe("");
  });

  it("ignores invalid lines and never serves the rules files", async () => {
    const site = await productionSite("hidden", FILES);
    const bad = await get(`http://${site.host}/bad`);
    expect(bad.status).toBe(404);
    expect(await bad.text()).toBe("not here");
    for (const path of ["/_redirects", "/_headers"]) {
      const res = await get(`http://${site.host}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe("not here");
    }
  });

  it("parses the raw files of a deployment finalized before rules.json existed", async () => {
    const site = await productionSite("legacy", FILES, {}, { legacyRules: true });
    expect(await env.STORAGE.head(storageKeys.rules(site.projectId, site.deploymentId))).toBeNull();
    const res = await get(`http://${site.host}/old`);
    expect(res.status).toBe(301);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("_headers in the router", () => {
  it("applies matching blocks to files, 404s and 304s, keeps framing headers, substitutes placeholders", async () => {
    const site = await productionSite("headers", FILES);
    const file = await get(`http://${site.host}/static/app.js`);
    expect(file.headers.get("x-frame-options")).toBe("DENY");
    expect(file.headers.get("access-control-allow-origin")).toBeNull();
    expect(file.headers.get("content-length")).toBe("10");
    expect(await file.text()).toBe("let x = 1;");

    const missing = await get(`http://${site.host}/movies/up`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-movie")).toBe("up");
    expect(missing.headers.get("x-frame-options")).toBe("DENY");
    await missing.text();

    const etag = file.headers.get("etag") ?? "";
    const notModified = await get(`http://${site.host}/static/app.js`, {
      headers: { "if-none-match": etag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("x-frame-options")).toBe("DENY");

    const hosted = await get(`http://${site.host}/hosted`);
    expect(hosted.headers.get("x-sub")).toBe(site.slug);
    await hosted.text();
  });

  it("sends Pages' default headers when _headers says nothing", async () => {
    const site = await productionSite("defaults", { "/index.html": "x" });
    const res = await get(`http://${site.host}/`);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "cache-control": "public, max-age=0, must-revalidate",
      "x-content-type-options": "nosniff",
      "access-control-allow-origin": "*",
      "referrer-policy": "strict-origin-when-cross-origin",
    });
    await res.text();
  });
});
