import { env } from "cloudflare:workers";
import type { Manifest } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { normalizeConfiguration } from "../src/config.ts";
import { createRouter } from "../src/index.ts";
import { ManifestCache } from "../src/manifest.ts";
import type { Route } from "../src/resolve-host.ts";
import { RouteMemo } from "../src/route-memo.ts";
import { createProject, setRoute, storeDeployment, uniqueSlug } from "./seed.ts";

/** A router whose route cache reads a clock the test moves. */
function routerWithClock() {
  const clock = { now: 1_000_000 };
  const router = createRouter({ now: () => clock.now });
  const fetchText = async (url: string) => {
    const res = await router.fetch(new Request(url), env);
    return { status: res.status, body: await res.text() };
  };
  return { clock, fetchText };
}

describe("route cache through the router", () => {
  it("serves the old deployment within MIAOBU_ROUTE_CACHE_MS of a route change and the new one after", async () => {
    expect(env.MIAOBU_ROUTE_CACHE_MS).toBe("2000");
    const slug = uniqueSlug("rollback");
    const projectId = await createProject(slug);
    const v1 = await storeDeployment(projectId, { "/index.html": "version 1" });
    const v2 = await storeDeployment(projectId, { "/index.html": "version 2" });
    await setRoute(`${slug}.localhost`, projectId, v1.deploymentId, "production");
    const { clock, fetchText } = routerWithClock();

    expect(await fetchText(`http://${slug}.localhost/`)).toEqual({ status: 200, body: "version 1" });
    await setRoute(`${slug}.localhost`, projectId, v2.deploymentId, "production");
    clock.now += 1999;
    expect(await fetchText(`http://${slug}.localhost/`)).toEqual({ status: 200, body: "version 1" });
    clock.now += 1;
    expect(await fetchText(`http://${slug}.localhost/`)).toEqual({ status: 200, body: "version 2" });
  });

  it("caches an unknown host for the same bound", async () => {
    const slug = uniqueSlug("late");
    const projectId = await createProject(slug);
    const { deploymentId } = await storeDeployment(projectId, { "/index.html": "arrived" });
    const { clock, fetchText } = routerWithClock();

    expect((await fetchText(`http://${slug}.localhost/`)).status).toBe(404);
    await setRoute(`${slug}.localhost`, projectId, deploymentId, "production");
    clock.now += 1500;
    expect((await fetchText(`http://${slug}.localhost/`)).status).toBe(404);
    clock.now += 500;
    expect(await fetchText(`http://${slug}.localhost/`)).toEqual({ status: 200, body: "arrived" });
  });
});

describe("RouteMemo", () => {
  const route: Route = {
    projectId: "prj_a",
    deploymentId: "dpl_a",
    kind: "production",
    htmlHandling: "auto-trailing-slash",
    notFoundHandling: "auto",
    previewPasswordHash: null,
    skewProtectionDays: 7,
    deleted: false,
    previous: null,
  };

  it("runs one lookup per host per TTL, shared by concurrent callers", async () => {
    let now = 0;
    let loads = 0;
    const cache = new RouteMemo({ ttlMs: 100, maxEntries: 10, now: () => now });
    const load = async () => {
      loads++;
      return route;
    };
    const [a, b] = await Promise.all([cache.lookup("a", load), cache.lookup("a", load)]);
    expect(a).toEqual(route);
    expect(b).toEqual(route);
    expect(loads).toBe(1);
    now = 99;
    await cache.lookup("a", load);
    expect(loads).toBe(1);
    now = 100;
    await cache.lookup("a", load);
    expect(loads).toBe(2);
  });

  it("evicts the oldest host when full", async () => {
    let loads = 0;
    const cache = new RouteMemo({ ttlMs: 1000, maxEntries: 3, now: () => 0 });
    const load = async () => {
      loads++;
      return null;
    };
    for (const host of ["a", "b", "c", "d"]) await cache.lookup(host, load);
    expect(cache.size).toBe(3);
    expect(loads).toBe(4);
    await cache.lookup("d", load);
    await cache.lookup("b", load);
    expect(loads).toBe(4);
    await cache.lookup("a", load);
    expect(loads).toBe(5);
    expect(cache.size).toBe(3);
  });

  it("does not keep a failed lookup", async () => {
    const cache = new RouteMemo({ ttlMs: 1000, maxEntries: 3, now: () => 0 });
    await expect(cache.lookup("a", () => Promise.reject(new Error("D1 down")))).rejects.toThrow("D1 down");
    expect(await cache.lookup("a", async () => route)).toEqual(route);
  });

  it("caches nothing with a TTL of 0", async () => {
    let loads = 0;
    const cache = new RouteMemo({ ttlMs: 0, maxEntries: 3, now: () => 0 });
    const load = async () => {
      loads++;
      return route;
    };
    await cache.lookup("a", load);
    await cache.lookup("a", load);
    expect(loads).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe("ManifestCache", () => {
  const manifest = (id: string): Manifest => ({ version: 1, deploymentId: id, files: {} });

  it("evicts the least recently used manifest past the entry bound", () => {
    const cache = new ManifestCache({ maxEntries: 2, maxBytes: 1000 });
    cache.set("a", manifest("a"), 10);
    cache.set("b", manifest("b"), 10);
    expect(cache.get("a")?.deploymentId).toBe("a");
    cache.set("c", manifest("c"), 10);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.deploymentId).toBe("a");
    expect(cache.get("c")?.deploymentId).toBe("c");
  });

  it("evicts past the byte bound and never keeps one manifest larger than it", () => {
    const cache = new ManifestCache({ maxEntries: 10, maxBytes: 100 });
    cache.set("a", manifest("a"), 40);
    cache.set("b", manifest("b"), 40);
    cache.set("c", manifest("c"), 40);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.bytes).toBe(80);
    cache.set("huge", manifest("huge"), 101);
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it("shares one pending load between concurrent callers", async () => {
    const cache = new ManifestCache({ maxEntries: 10, maxBytes: 1000 });
    let loads = 0;
    const load = async () => {
      loads++;
      return manifest("a");
    };
    await Promise.all([cache.loadOnce("a", load), cache.loadOnce("a", load)]);
    expect(loads).toBe(1);
    await cache.loadOnce("a", load);
    expect(loads).toBe(2);
  });
});

describe("normalizeConfiguration", () => {
  it("parses the vars and falls back to defaults", () => {
    expect(normalizeConfiguration({})).toMatchObject({ baseDomain: "localhost", routeCacheMs: 2000 });
    expect(
      normalizeConfiguration({ MIAOBU_BASE_DOMAIN: " Miaobu.Dev. ", MIAOBU_ROUTE_CACHE_MS: "500" }),
    ).toMatchObject({ baseDomain: "miaobu.dev", routeCacheMs: 500 });
    expect(normalizeConfiguration({ MIAOBU_ROUTE_CACHE_MS: "0" }).routeCacheMs).toBe(0);
    expect(normalizeConfiguration({ MIAOBU_PREVIEW_SECRET: "s3cret" }).previewSecret).toBe("s3cret");
    expect(
      normalizeConfiguration({ MIAOBU_PREVIEW_SECRET: env.MIAOBU_PREVIEW_SECRET }).previewSecret,
    ).not.toBe("");
    expect(
      normalizeConfiguration({
        MIAOBU_BASE_DOMAIN: "miaobu.dev",
        MIAOBU_PREVIEW_SECRET: env.MIAOBU_PREVIEW_SECRET,
      }).previewSecret,
    ).toBe("");
    for (const bad of ["", "-1", "1.5", "soon"]) {
      expect(normalizeConfiguration({ MIAOBU_ROUTE_CACHE_MS: bad }).routeCacheMs, bad).toBe(2000);
    }
  });
});
