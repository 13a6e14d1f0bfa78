import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createRouter } from "../src/index.ts";
import { productionSite } from "./seed.ts";

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(url, { redirect: "manual", ...init }));
}

const BODY = "0123456789abcdefghij";

describe("Range", () => {
  it.each([
    ["bytes=0-4", 206, "01234", "bytes 0-4/20"],
    ["bytes=5-", 206, "56789abcdefghij", "bytes 5-19/20"],
    ["bytes=-3", 206, "hij", "bytes 17-19/20"],
    ["bytes=10-100", 206, "abcdefghij", "bytes 10-19/20"],
    ["bytes=20-", 416, "416 Range Not Satisfiable", "bytes */20"],
    ["bytes=-0", 416, "416 Range Not Satisfiable", "bytes */20"],
    ["bytes=0-1,3-4", 200, BODY, null],
    ["bytes=5-2", 200, BODY, null],
    ["items=0-1", 200, BODY, null],
  ])("%s → %i", async (range, status, body, contentRange) => {
    const site = await productionSite("range", { "/data.txt": BODY });
    const res = await get(`http://${site.host}/data.txt`, { headers: { range } });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-range")).toBe(contentRange);
    expect(await res.text()).toBe(body);
    if (status === 206) expect(res.headers.get("content-length")).toBe(String(body.length));
  });

  it("honours If-Range only with the current ETag, and answers HEAD with the range's headers", async () => {
    const site = await productionSite("ifrange", { "/data.txt": BODY });
    const etag = `"${site.manifest.files["/data.txt"]?.hash}"`;
    const fresh = await get(`http://${site.host}/data.txt`, {
      headers: { range: "bytes=0-1", "if-range": etag },
    });
    expect(fresh.status).toBe(206);
    await fresh.text();
    const stale = await get(`http://${site.host}/data.txt`, {
      headers: { range: "bytes=0-1", "if-range": '"old"' },
    });
    expect(stale.status).toBe(200);
    await stale.text();
    const head = await get(`http://${site.host}/data.txt`, {
      method: "HEAD",
      headers: { range: "bytes=2-3" },
    });
    expect(head.status).toBe(206);
    expect(head.headers.get("content-length")).toBe("2");
    expect(await head.text()).toBe("");
  });
});

describe("Content-Encoding from pre-compressed variants", () => {
  // Called directly (not over HTTP) so the runtime never decodes the bytes: they are what storage holds.
  const router = createRouter({ edgeCache: false });
  const fetchDirect = (url: string, acceptEncoding?: string) =>
    router.fetch(
      new Request(url, acceptEncoding ? { headers: { "accept-encoding": acceptEncoding } } : {}),
      env,
    );

  it.each([
    ["br, gzip", "br", "BR-BYTES"],
    ["gzip, deflate, br;q=0.5", "br", "BR-BYTES"],
    ["gzip", "gzip", "GZ-BYTES"],
    ["br;q=0, gzip", "gzip", "GZ-BYTES"],
    ["*", "br", "BR-BYTES"],
    ["*;q=0", null, "console.log('plain')"],
    ["identity", null, "console.log('plain')"],
    [undefined, null, "console.log('plain')"],
  ])("Accept-Encoding %s → %s", async (accept, encoding, body) => {
    const site = await productionSite(
      "encoding",
      { "/app.js": "console.log('plain')" },
      {},
      { variants: { "/app.js": { br: "BR-BYTES", gzip: "GZ-BYTES" } } },
    );
    const res = await fetchDirect(`http://${site.host}/app.js`, accept);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe(encoding);
    expect(res.headers.get("vary")).toBe("Accept-Encoding");
    expect(res.headers.get("content-length")).toBe(String(body.length));
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const variants = site.manifest.files["/app.js"]?.variants;
    const hash =
      encoding === "br"
        ? variants?.br?.hash
        : encoding === "gzip"
          ? variants?.gzip?.hash
          : site.manifest.files["/app.js"]?.hash;
    expect(res.headers.get("etag")).toBe(`"${hash}"`);
    expect(await res.text()).toBe(body);
  });

  it("uses only the variants that exist, matches If-None-Match on any representation, and never compresses a range", async () => {
    const site = await productionSite(
      "gz-only",
      { "/style.css": "body{color:red}" },
      {},
      { variants: { "/style.css": { gzip: "GZ" } } },
    );
    const gz = await fetchDirect(`http://${site.host}/style.css`, "br, gzip");
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    const etag = gz.headers.get("etag") ?? "";
    await gz.text();
    const cached = await router.fetch(
      new Request(`http://${site.host}/style.css`, { headers: { "if-none-match": etag } }),
      env,
    );
    expect(cached.status).toBe(304);
    const range = await router.fetch(
      new Request(`http://${site.host}/style.css`, {
        headers: { "accept-encoding": "gzip", range: "bytes=0-3" },
      }),
      env,
    );
    expect(range.status).toBe(206);
    expect(range.headers.get("content-encoding")).toBeNull();
    expect(await range.text()).toBe("body");
  });
});

describe("html handling through the router", () => {
  const files = { "/index.html": "home", "/about.html": "about", "/dir/index.html": "dir" };

  it.each([
    // The default pair is served as Pages serves it: 308.
    ["auto-trailing-slash", "auto", "/about.html?x=1", 308, "/about?x=1"],
    ["auto-trailing-slash", "auto", "/about/", 308, "/about"],
    ["auto-trailing-slash", "auto", "/dir", 308, "/dir/"],
    ["auto-trailing-slash", "auto", "/dir/index.html", 308, "/dir/"],
    ["auto-trailing-slash", "auto", "/index", 308, "/"],
    ["auto-trailing-slash", "auto", "/about", 200, null],
    // Any other pair as Workers' asset server: 307.
    ["auto-trailing-slash", "single-page-application", "/about.html?x=1", 307, "/about?x=1"],
    ["force-trailing-slash", "auto", "/about", 307, "/about/"],
    ["force-trailing-slash", "auto", "/about/", 200, null],
    ["drop-trailing-slash", "auto", "/dir/", 307, "/dir"],
    ["drop-trailing-slash", "auto", "/dir", 200, null],
    ["none", "auto", "/about.html", 200, null],
    // `none` serves only exact files: /about falls to the single-page-app fallback (index.html, 200).
    ["none", "auto", "/about", 200, null],
    ["none", "none", "/about", 404, null],
  ] as const)("%s + %s: %s → %i %s", async (htmlHandling, notFoundHandling, path, status, location) => {
    const site = await productionSite("slash", files, { htmlHandling, notFoundHandling });
    const res = await get(`http://${site.host}${path}`);
    expect(res.status).toBe(status);
    expect(res.headers.get("location")).toBe(location);
    await res.text();
  });

  it("redirects unicode paths to their percent-encoded canonical URL", async () => {
    const site = await productionSite("slash-unicode", {
      "/日本/index.html": "nihon",
      "/café.html": "coffee",
    });
    const dir = await get(`http://${site.host}/%E6%97%A5%E6%9C%AC`);
    expect(dir.status).toBe(308);
    expect(dir.headers.get("location")).toBe("/%E6%97%A5%E6%9C%AC/");
    const html = await get(`http://${site.host}/caf%C3%A9.html`);
    expect(html.headers.get("location")).toBe("/caf%C3%A9");
  });

  it("redirects to the canonical encoding as Workers does, query kept", async () => {
    const site = await productionSite(
      "slash-encoding",
      { "/café.html": "coffee", "/p+q.html": "plus" },
      { htmlHandling: "auto-trailing-slash", notFoundHandling: "none" },
    );
    const lower = await get(`http://${site.host}/caf%c3%a9?x=1`);
    expect([lower.status, lower.headers.get("location")]).toEqual([307, "/caf%C3%A9?x=1"]);
    const plus = await get(`http://${site.host}/p+q`);
    expect([plus.status, plus.headers.get("location")]).toEqual([307, "/p%2Bq"]);
    const served = await get(`http://${site.host}/p%2Bq`);
    expect([served.status, await served.text()]).toEqual([200, "plus"]);
  });
});

describe("not found per project", () => {
  const files = { "/index.html": "app shell", "/404.html": "lost", "/blog/404.html": "lost in blog" };

  it.each([
    ["auto-trailing-slash", "auto", "/blog/x", 404, "lost in blog"],
    ["auto-trailing-slash", "auto", "/x", 404, "lost"],
    ["force-trailing-slash", "auto", "/blog/x", 404, "lost in blog"],
    ["auto-trailing-slash", "single-page-application", "/blog/x", 200, "app shell"],
    ["auto-trailing-slash", "404-page", "/blog/x", 404, "lost in blog"],
    ["auto-trailing-slash", "none", "/blog/x", 404, ""],
  ] as const)("%s + %s: %s → %i", async (htmlHandling, notFoundHandling, path, status, body) => {
    const site = await productionSite("notfound", files, { htmlHandling, notFoundHandling });
    const res = await get(`http://${site.host}${path}`);
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(body);
  });

  it("infers a single-page app when there is no 404.html", async () => {
    const site = await productionSite("spa", { "/index.html": "app shell", "/assets/a.js": "a" });
    const res = await get(`http://${site.host}/settings/profile`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("app shell");
  });
});
