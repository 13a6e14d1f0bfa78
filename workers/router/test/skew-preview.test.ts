import { env, exports } from "cloudflare:workers";
import { storageKeys } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { createRouter } from "../src/index.ts";
import { COOKIE_NAME, safeNext } from "../src/preview-auth.ts";
import { ROUTE_QUERY } from "../src/resolve-host.ts";
import { createProject, setRoute, storeDeployment, uniqueSlug } from "./seed.ts";

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(url, { redirect: "manual", ...init }));
}

describe("version skew", () => {
  async function skewSite(days: number, until: number) {
    const slug = uniqueSlug("skew");
    const projectId = await createProject(slug, { skewProtectionDays: days });
    const old = await storeDeployment(projectId, {
      "/index.html": "v1",
      "/assets/chunk-old.js": "old chunk",
    });
    const current = await storeDeployment(projectId, {
      "/index.html": "v2",
      "/assets/chunk-new.js": "new chunk",
    });
    await setRoute(`${slug}.localhost`, projectId, current.deploymentId, "production", {
      deploymentId: old.deploymentId,
      until,
    });
    return `${slug}.localhost`;
  }

  it("serves a file the previous production deployment had while previous_until is ahead", async () => {
    const host = await skewSite(7, Date.now() + 60_000);
    const res = await get(`http://${host}/assets/chunk-old.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("old chunk");
    // The current deployment still wins where it has the file.
    expect(await (await get(`http://${host}/`)).text()).toBe("v2");
    expect(await (await get(`http://${host}/assets/chunk-new.js`)).text()).toBe("new chunk");
  });

  it("stops once previous_until has passed, or when the project turned skew protection off", async () => {
    for (const host of [await skewSite(7, Date.now() - 1), await skewSite(0, Date.now() + 60_000)]) {
      const res = await get(`http://${host}/assets/chunk-old.js`);
      // Single-page-app fallback of the current deployment, not the old chunk.
      expect(await res.text(), host).toBe("v2");
    }
  });

  it("follows the clock it is given", async () => {
    const host = await skewSite(7, 5_000_000);
    let now = 4_999_999;
    const router = createRouter({ now: () => now, edgeCache: false });
    const before = await router.fetch(new Request(`http://${host}/assets/chunk-old.js`), env);
    expect(await before.text()).toBe("old chunk");
    now = 5_000_000 + 60_000;
    const after = await router.fetch(new Request(`http://${host}/assets/chunk-old.js`), env);
    expect(await after.text()).toBe("v2");
  });
});

describe("password-protected previews", () => {
  const PASSWORD = "open sesame 123";

  async function protectedSite() {
    const slug = uniqueSlug("locked");
    const projectId = await createProject(slug, { previewPassword: PASSWORD });
    const { deploymentId } = await storeDeployment(projectId, {
      "/index.html": "secret preview",
      "/a.txt": "a",
    });
    await setRoute(`${slug}.localhost`, projectId, deploymentId, "production");
    await setRoute(`feature--${slug}.localhost`, projectId, deploymentId, "branch");
    await setRoute(`k3x9q2mz--${slug}.localhost`, projectId, deploymentId, "deployment");
    return {
      slug,
      projectId,
      preview: `feature--${slug}.localhost`,
      deployment: `k3x9q2mz--${slug}.localhost`,
    };
  }

  function login(host: string, password: string, next = "/a.txt?x=1") {
    return get(`http://${host}/__miaobu/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ password, next }).toString(),
    });
  }

  it("answers previews with a login page, never the site, and leaves production public", async () => {
    const site = await protectedSite();
    for (const host of [site.preview, site.deployment]) {
      const res = await get(`http://${host}/a.txt`);
      expect(res.status).toBe(401);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-robots-tag")).toBe("noindex");
      const body = await res.text();
      expect(body).toContain('action="/__miaobu/login"');
      expect(body).toContain('value="/a.txt"');
      expect(body).not.toContain("secret preview");
      expect(body).not.toContain(site.slug);
    }
    const production = await get(`http://${site.slug}.localhost/`);
    expect(production.status).toBe(200);
    expect(await production.text()).toBe("secret preview");
  });

  it("refuses a wrong password and lets the right one in with an HttpOnly cookie for that host", async () => {
    const site = await protectedSite();
    const wrong = await login(site.preview, "nope");
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Wrong password.");
    expect(wrong.headers.get("set-cookie")).toBeNull();

    const ok = await login(site.preview, PASSWORD);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/a.txt?x=1");
    const setCookie = ok.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(
      new RegExp(`^${COOKIE_NAME}=\\d+\\.[\\w-]+; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax$`),
    );
    const cookie = setCookie.split(";")[0] ?? "";

    const res = await get(`http://${site.preview}/`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("secret preview");
    // Bound to the host: the same cookie does not open another preview host.
    const other = await get(`http://${site.deployment}/`, { headers: { cookie } });
    expect(other.status).toBe(401);
    await other.text();
    const forged = await get(`http://${site.preview}/`, { headers: { cookie: `${cookie.slice(0, -2)}AA` } });
    expect(forged.status).toBe(401);
    await forged.text();
  });

  it("ends sessions when the password changes", async () => {
    const site = await protectedSite();
    const cookie =
      ((await login(site.preview, PASSWORD)).headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    await env.DB.prepare("UPDATE projects SET preview_password_hash = ? WHERE id = ?")
      .bind("pbkdf2-sha256$1$AAAA$AAAA", site.projectId)
      .run();
    const router = createRouter();
    const res = await router.fetch(new Request(`http://${site.preview}/`, { headers: { cookie } }), env);
    expect(res.status).toBe(401);
  });

  it("expires sessions", async () => {
    const site = await protectedSite();
    let now = Date.now();
    const router = createRouter({ now: () => now });
    const ok = await router.fetch(
      new Request(`http://${site.preview}/__miaobu/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ password: PASSWORD }).toString(),
      }),
      env,
    );
    const cookie = (ok.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(
      (await router.fetch(new Request(`http://${site.preview}/`, { headers: { cookie } }), env)).status,
    ).toBe(200);
    now += 7 * 24 * 3600 * 1000 + 1000;
    expect(
      (await router.fetch(new Request(`http://${site.preview}/`, { headers: { cookie } }), env)).status,
    ).toBe(401);
  });

  it.each([
    ["/a?b=c", "/a?b=c"],
    ["//evil.example/", "/"],
    ["/\\evil.example", "/"],
    ["https://evil.example/", "/"],
    ["", "/"],
    [null, "/"],
  ])("only returns to a path of the site: %j → %s", (next, want) => {
    expect(safeNext(next)).toBe(want);
  });
});

describe("caches", () => {
  it("keeps small blobs in isolate memory and large ones in the edge cache", async () => {
    const big = new Uint8Array(600 * 1024).map((_, i) => i % 251);
    const slug = uniqueSlug("blobcache");
    const projectId = await createProject(slug);
    const { deploymentId, manifest } = await storeDeployment(projectId, {
      "/small.txt": "small",
      "/big.bin": big,
    });
    await setRoute(`${slug}.localhost`, projectId, deploymentId, "production");
    const router = createRouter();
    const waits: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (p: Promise<unknown>) => waits.push(p),
      passThroughOnException() {},
    } as unknown as ExecutionContext;
    const fetchBytes = async (path: string) => {
      const res = await router.fetch(new Request(`http://${slug}.localhost${path}`), env, ctx);
      return new Uint8Array(await res.arrayBuffer());
    };
    expect(new TextDecoder().decode(await fetchBytes("/small.txt"))).toBe("small");
    expect(await fetchBytes("/big.bin")).toEqual(big);
    await Promise.all(waits);
    for (const entry of Object.values(manifest.files))
      await env.STORAGE.delete(storageKeys.blob(projectId, entry.hash));
    expect(new TextDecoder().decode(await fetchBytes("/small.txt"))).toBe("small");
    expect(new TextDecoder().decode(await fetchBytes("/small.txt"))).toBe("small");
    expect(await fetchBytes("/big.bin")).toEqual(big);
  });

  it("looks a host up with one indexed query whatever the number of deployments", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${ROUTE_QUERY}`)
      .bind("x.localhost")
      .all<{ detail: string }>();
    const details = plan.results.map((row) => row.detail);
    // routes, projects and deployments, each by its primary key.
    expect(details).toHaveLength(3);
    for (const detail of details)
      expect(detail).toMatch(
        /^SEARCH .* USING (INDEX sqlite_autoindex_\w+_1|INTEGER PRIMARY KEY|PRIMARY KEY) \(\w+=\?\)( LEFT-JOIN)?$/,
      );
  });
});
