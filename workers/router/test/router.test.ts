import { env, exports } from "cloudflare:workers";
import { storageKeys } from "@miaobu/shared";
import { describe, expect, it, vi } from "vitest";
import { createProject, productionSite, setRoute, sha256Hex, storeDeployment, uniqueSlug } from "./seed.ts";

function get(url: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(url, init));
}

describe("hostnames", () => {
  it("serves production, deployment and branch hosts each from their own deployment", async () => {
    const slug = uniqueSlug("hosts");
    const projectId = await createProject(slug);
    const prod = await storeDeployment(projectId, { "/index.html": "production build" });
    const preview = await storeDeployment(projectId, { "/index.html": "one deployment" });
    const branch = await storeDeployment(projectId, { "/index.html": "feature branch" });
    await setRoute(`${slug}.localhost`, projectId, prod.deploymentId, "production");
    await setRoute(`k3x9q2mz--${slug}.localhost`, projectId, preview.deploymentId, "deployment");
    await setRoute(`feature-x--${slug}.localhost`, projectId, branch.deploymentId, "branch");

    const production = await get(`http://${slug}.localhost/`);
    expect(production.status).toBe(200);
    expect(await production.text()).toBe("production build");
    expect(production.headers.get("x-robots-tag")).toBeNull();

    const deployment = await get(`http://k3x9q2mz--${slug}.localhost/`);
    expect(await deployment.text()).toBe("one deployment");
    expect(deployment.headers.get("x-robots-tag")).toBe("noindex");

    const branchHost = await get(`http://feature-x--${slug}.localhost/`);
    expect(await branchHost.text()).toBe("feature branch");
    expect(branchHost.headers.get("x-robots-tag")).toBe("noindex");
  });

  it("serves a custom domain without noindex", async () => {
    const slug = uniqueSlug("custom");
    const projectId = await createProject(slug);
    const { deploymentId } = await storeDeployment(projectId, { "/index.html": "custom domain" });
    await setRoute(`www.${slug}.example`, projectId, deploymentId, "custom");

    const res = await get(`http://www.${slug}.example/`);
    expect(await res.text()).toBe("custom domain");
    expect(res.headers.get("x-robots-tag")).toBeNull();
  });

  it("ignores the port and the case of the Host", async () => {
    const site = await productionSite("port", { "/x.txt": "with a port" });
    const res = await get(`http://${site.host.toUpperCase()}:8788/x.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("with a port");
  });

  it("answers an unknown host with the platform page, revealing no project", async () => {
    const site = await productionSite("secretive", { "/index.html": "hello" });
    for (const host of [`nothing-${site.slug}.localhost`, `main--${site.slug}.localhost`, "localhost"]) {
      const res = await get(`http://${host}:8788/index.html`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const body = await res.text();
      expect(body).toContain("No site here");
      expect(body).not.toContain(site.slug);
      expect(body).not.toContain("secretive");
      expect(body).not.toContain(site.projectId);
    }
  });

  it("answers the platform page when the route's manifest is not in storage", async () => {
    const slug = uniqueSlug("nomanifest");
    const projectId = await createProject(slug);
    await setRoute(`${slug}.localhost`, projectId, "dpl_00000000000000000000000000", "production");
    const error = vi.spyOn(console, "warn").mockImplementation(() => {});
    const res = await get(`http://${slug}.localhost/`);
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).toContain("No site here");
    expect(body).not.toContain(slug);
    error.mockRestore();
  });
});

describe("files", () => {
  it("serves index.html for / and /dir/, and .html and /index.html for extensionless paths", async () => {
    const site = await productionSite("index", {
      "/index.html": "root",
      "/docs/index.html": "docs",
      "/about.html": "about",
      "/guide/index.html": "guide",
    });
    const cases: Array<[string, string]> = [
      ["/", "root"],
      ["/docs/", "docs"],
      ["/about", "about"],
      ["/about.html", "about"],
      ["/guide", "guide"],
      ["/docs/index.html", "docs"],
    ];
    for (const [path, body] of cases) {
      const res = await get(`http://${site.host}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(body);
    }
  });

  it("sends the manifest's content type, length, a strong ETag and caching headers", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3]);
    const site = await productionSite("types", {
      "/index.html": "<h1>hi</h1>",
      "/app.js": "console.log(1)",
      "/style.css": "body{}",
      "/logo.png": png,
      "/data.json": "{}",
      "/LICENSE": "MIT",
    });
    const expected: Record<string, string> = {
      "/index.html": "text/html; charset=utf-8",
      "/app.js": "text/javascript; charset=utf-8",
      "/style.css": "text/css; charset=utf-8",
      "/logo.png": "image/png",
      "/data.json": "application/json",
      "/LICENSE": "application/octet-stream",
    };
    for (const [path, type] of Object.entries(expected)) {
      const entry = site.manifest.files[path];
      const res = await get(`http://${site.host}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe(type);
      expect(res.headers.get("content-length"), path).toBe(String(entry?.size));
      expect(res.headers.get("etag"), path).toBe(`"${entry?.hash}"`);
      expect(res.headers.get("cache-control"), path).toBe("public, max-age=0, must-revalidate");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      await res.arrayBuffer();
    }
    const image = await get(`http://${site.host}/logo.png`);
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);
  });

  it("serves percent-encoded and unicode paths", async () => {
    const site = await productionSite("unicode", {
      "/café.html": "coffee",
      "/a file.txt": "spaced",
      "/日本/index.html": "nihon",
    });
    expect(await (await get(`http://${site.host}/caf%C3%A9.html`)).text()).toBe("coffee");
    expect(await (await get(`http://${site.host}/café.html`)).text()).toBe("coffee");
    expect(await (await get(`http://${site.host}/caf%C3%A9`)).text()).toBe("coffee");
    expect(await (await get(`http://${site.host}/a%20file.txt`)).text()).toBe("spaced");
    expect(await (await get(`http://${site.host}/日本/`)).text()).toBe("nihon");
  });

  it("looks malformed percent-encoding up as it is, as Pages does", async () => {
    const site = await productionSite("badenc", { "/index.html": "x", "/404.html": "lost" });
    for (const path of ["/%E0%A4%A", "/%zz", "/%C3", "/a%"]) {
      const res = await get(`http://${site.host}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe("lost");
    }
  });
});

describe("conditional requests and methods", () => {
  it("answers a matching If-None-Match with 304 and no body", async () => {
    const site = await productionSite("etag", { "/app.js": "let a = 1;" });
    const hash = await sha256Hex(new TextEncoder().encode("let a = 1;"));
    const matching = [`"${hash}"`, `W/"${hash}"`, `"nope", "${hash}"`, `"nope",W/"${hash}"`, "*"];
    for (const inm of matching) {
      const res = await get(`http://${site.host}/app.js`, { headers: { "if-none-match": inm } });
      expect(res.status, inm).toBe(304);
      // Pages' 304 carries only its default headers (shapes.test.ts has both flavours).
      expect(res.headers.get("etag")).toBeNull();
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(await res.text()).toBe("");
    }
  });

  it("answers a non-matching If-None-Match with the file", async () => {
    const site = await productionSite("etag-miss", { "/app.js": "let b = 2;" });
    for (const inm of [`"0000"`, `W/"0000", "1111"`, `${site.manifest.files["/app.js"]?.hash}`]) {
      const res = await get(`http://${site.host}/app.js`, { headers: { "if-none-match": inm } });
      expect(res.status, inm).toBe(200);
      expect(await res.text()).toBe("let b = 2;");
    }
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const site = await productionSite("head", { "/index.html": "<p>head</p>" });
    const res = await get(`http://${site.host}/`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-length")).toBe("11");
    expect(res.headers.get("etag")).toBe(`"${site.manifest.files["/index.html"]?.hash}"`);
    expect(await res.text()).toBe("");

    const missing = await get(`http://${site.host}/nope.js`, { method: "HEAD" });
    // No 404.html: Pages infers a single-page app and answers /index.html.
    expect(missing.status).toBe(200);
    expect(missing.headers.get("content-length")).toBe("11");
    expect(await missing.text()).toBe("");
  });

  it("refuses other methods with an empty 405, never a file", async () => {
    const site = await productionSite("methods", { "/index.html": "x" });
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      for (const path of ["/", "/index.html", "/nope", "/__miaobu/login"]) {
        const res = await get(`http://${site.host}${path}`, {
          method,
          body: method === "OPTIONS" ? null : "x",
        });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(await res.text()).toBe("");
      }
    }
  });
});

describe("not found", () => {
  it("answers a missing file with a plain 404 when there is neither a 404.html nor an index.html", async () => {
    const site = await productionSite("missing", { "/home.html": "x" });
    const res = await get(`http://${site.host}/nope.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("");
  });

  it("answers a missing file with the site's 404.html and status 404", async () => {
    const site = await productionSite("custom404", { "/index.html": "x", "/404.html": "<h1>Lost?</h1>" });
    for (const path of ["/nope", "/deep/er/path.js", "/dir/"]) {
      const res = await get(`http://${site.host}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await res.text()).toBe("<h1>Lost?</h1>");
    }
    const head = await get(`http://${site.host}/nope`, { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(head.headers.get("content-length")).toBe("14");
    expect(await head.text()).toBe("");
  });
});

describe("failures", () => {
  it("answers a blob missing from storage with a bare 500 and logs it", async () => {
    const site = await productionSite("noblob", { "/index.html": "x" });
    const entry = site.manifest.files["/index.html"];
    await env.STORAGE.delete(storageKeys.blob(site.projectId, entry?.hash ?? ""));
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await get(`http://${site.host}/`);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe("500 Internal Server Error");
    expect(error).toHaveBeenCalledWith("router: unexpected error", expect.stringContaining("not in storage"));
    error.mockRestore();
  });

  it("answers a malformed manifest with a bare 500", async () => {
    const slug = uniqueSlug("corrupt");
    const projectId = await createProject(slug);
    const deploymentId = "dpl_corrupt00000000000000000000";
    await env.STORAGE.put(storageKeys.manifest(projectId, deploymentId), '{"version":1,"files":');
    await setRoute(`${slug}.localhost`, projectId, deploymentId, "production");
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await get(`http://${slug}.localhost/`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("500 Internal Server Error");
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });
});

describe("caches", () => {
  it("keeps serving a deployment whose manifest was deleted after the first request", async () => {
    const site = await productionSite("manifest-cache", { "/index.html": "cached", "/b.txt": "bee" });
    expect(await (await get(`http://${site.host}/`)).text()).toBe("cached");
    await env.STORAGE.delete(storageKeys.manifest(site.projectId, site.deploymentId));
    expect(await env.STORAGE.head(storageKeys.manifest(site.projectId, site.deploymentId))).toBeNull();
    const res = await get(`http://${site.host}/b.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("bee");
  });
});
