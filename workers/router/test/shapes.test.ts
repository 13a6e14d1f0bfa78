import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { productionSite } from "./seed.ts";

// The shape of each kind of answer (headers and body besides status and Location), as Pages' asset server
// (packages/pages-shared/asset-server: handler.ts, responses.ts) and Workers' (packages/workers-shared/
// asset-worker) make them.

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(url, { redirect: "manual", ...init }));
}

const FILES = {
  "/index.html": "home",
  "/page.html": "page",
  "/app.js": "let a = 1;",
  "/404.html": "lost",
  "/_redirects": ["/old /page 301", "/perm /page 308", "/rw /page 200"].join("\n"),
  "/_headers": ["/*", "  X-Frame-Options: DENY", "/nope", "  Cache-Control: public, max-age=60"].join("\n"),
};

/** The headers that describe the answer, without framing. */
async function shape(res: Response) {
  const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== "content-length"));
  return { status: res.status, headers, body: await res.text() };
}

const PAGES_DEFAULTS = {
  "access-control-allow-origin": "*",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
};

describe("Pages' shapes (the default settings)", () => {
  it("`_redirects`: a `Redirecting to` text body but for 308, no Cache-Control, whatever the method", async () => {
    const site = await productionSite("shape-redirect", FILES);
    for (const method of ["GET", "POST", "DELETE"]) {
      expect(await shape(await get(`http://${site.host}/old?q=1`, { method }))).toEqual({
        status: 301,
        headers: {
          ...PAGES_DEFAULTS,
          location: "/page?q=1",
          "content-type": "text/plain;charset=UTF-8",
          "x-content-type-options": "nosniff",
        },
        body: "Redirecting to /page?q=1",
      });
    }
    expect(await shape(await get(`http://${site.host}/perm`))).toEqual({
      status: 308,
      headers: { ...PAGES_DEFAULTS, location: "/page" },
      body: "",
    });
  });

  it("its own redirects are empty", async () => {
    const site = await productionSite("shape-own", FILES);
    expect(await shape(await get(`http://${site.host}/page.html`))).toEqual({
      status: 308,
      headers: { ...PAGES_DEFAULTS, location: "/page" },
      body: "",
    });
  });

  it("other methods: an empty 405 with the default headers and `_headers`, rewrites included", async () => {
    const site = await productionSite("shape-405", FILES);
    for (const path of ["/page", "/rw", "/nope", "/"]) {
      expect(await shape(await get(`http://${site.host}${path}`, { method: "PUT", body: "x" }))).toEqual({
        status: 405,
        headers:
          path === "/nope" ? { ...PAGES_DEFAULTS, "cache-control": "public, max-age=60" } : PAGES_DEFAULTS,
        body: "",
      });
    }
  });

  it("404s are no-store whatever `_headers` says; the 404 page has no ETag", async () => {
    const site = await productionSite("shape-404", FILES);
    expect(await shape(await get(`http://${site.host}/nope`))).toEqual({
      status: 404,
      headers: {
        ...PAGES_DEFAULTS,
        "content-type": "text/html; charset=utf-8",
        "x-content-type-options": "nosniff",
        "cache-control": "no-store",
      },
      body: "lost",
    });
    const bare = await productionSite("shape-404-bare", { "/app.js": "x" });
    expect(await shape(await get(`http://${bare.host}/nope`))).toEqual({
      status: 404,
      headers: {
        "access-control-allow-origin": "*",
        "referrer-policy": "strict-origin-when-cross-origin",
        "cache-control": "no-store",
      },
      body: "",
    });
  });

  it("a 304 carries only the default headers and `_headers`", async () => {
    const site = await productionSite("shape-304", FILES);
    const etag = (await get(`http://${site.host}/page`)).headers.get("etag") ?? "";
    const res = await get(`http://${site.host}/page`, { headers: { "if-none-match": etag } });
    expect(await shape(res)).toEqual({ status: 304, headers: PAGES_DEFAULTS, body: "" });
  });

  it("sends no Cache-Control for a request with Authorization (isCacheable)", async () => {
    const site = await productionSite("shape-auth", FILES);
    const res = await get(`http://${site.host}/app.js`, { headers: { authorization: "Basic eDp5" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBeNull();
    expect(await res.text()).toBe("let a = 1;");
  });
});

describe("Workers' shapes (any other settings)", () => {
  const workers = { htmlHandling: "auto-trailing-slash", notFoundHandling: "none" } as const;

  it("other methods: 404 where nothing would answer, else 405; both empty, no default headers", async () => {
    const site = await productionSite("shape-w405", FILES, workers);
    const page = await get(`http://${site.host}/page`, { method: "POST", body: "x" });
    expect(await shape(page)).toEqual({ status: 405, headers: { "x-frame-options": "DENY" }, body: "" });
    const nope = await get(`http://${site.host}/nope`, { method: "POST", body: "x" });
    expect(await shape(nope)).toEqual({
      status: 404,
      headers: { "x-frame-options": "DENY", "cache-control": "public, max-age=60" },
      body: "",
    });
  });

  it("redirects are empty; a 304 and a 404 page keep the file's ETag and Cache-Control", async () => {
    const site = await productionSite("shape-w", FILES, { ...workers, notFoundHandling: "404-page" });
    expect(await shape(await get(`http://${site.host}/old`))).toEqual({
      status: 301,
      headers: { "x-frame-options": "DENY", location: "/page" },
      body: "",
    });
    const file = await get(`http://${site.host}/page`);
    const etag = file.headers.get("etag") ?? "";
    await file.text();
    const notModified = await get(`http://${site.host}/page`, { headers: { "if-none-match": etag } });
    expect(await shape(notModified)).toEqual({
      status: 304,
      headers: {
        etag,
        "content-type": "text/html; charset=utf-8",
        "cache-control": "public, max-age=0, must-revalidate",
        "x-frame-options": "DENY",
      },
      body: "",
    });
    const missing = await shape(await get(`http://${site.host}/missing`));
    expect(missing.status).toBe(404);
    expect(missing.body).toBe("lost");
    expect(missing.headers["cache-control"]).toBe("public, max-age=0, must-revalidate");
    expect(missing.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
  });
});
