import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createRouter } from "../src/index.ts";
import type { RouteRow } from "../src/resolve-host.ts";
import { EdgeRouteCache } from "../src/route-edge.ts";
import { RouteMemo } from "../src/route-memo.ts";
import { parseRouteChange, RouteSource } from "../src/route-source.ts";
import { createProject, setRoute, storeDeployment, uniqueSlug } from "./seed.ts";

/** One router isolate: its own memo, the colo's Cache API shared with every other, a clock the test moves. */
function isolate(clock: { now: number }, edgeSeconds = "60") {
  const router = createRouter({ now: () => clock.now });
  // wrangler types the var as its literal value in wrangler.toml ("0").
  const vars = { ...env, MIAOBU_ROUTE_EDGE_CACHE_SECONDS: edgeSeconds } as unknown as Env;
  return {
    router,
    async text(url: string, init?: RequestInit) {
      const pending: Promise<unknown>[] = [];
      const ctx = { waitUntil: (p: Promise<unknown>) => pending.push(p), passThroughOnException() {} };
      const res = await router.fetch(new Request(url, init), vars, ctx as unknown as ExecutionContext);
      await Promise.all(pending);
      return { status: res.status, body: await res.text() };
    },
    forget: (projectId: string, hostnames: string[]) => router.routesChanged(vars, { projectId, hostnames }),
  };
}

async function twoVersions(prefix: string) {
  const slug = uniqueSlug(prefix);
  const projectId = await createProject(slug);
  const v1 = await storeDeployment(projectId, { "/index.html": "version 1" });
  const v2 = await storeDeployment(projectId, { "/index.html": "version 2" });
  const host = `${slug}.localhost`;
  await setRoute(host, projectId, v1.deploymentId, "production");
  return { projectId, host, v1, v2, roll: () => setRoute(host, projectId, v2.deploymentId, "production") };
}

const v1 = { status: 200, body: "version 1" };
const v2 = { status: 200, body: "version 2" };

describe("visitors cannot flush or poison routes", () => {
  it("no request from the internet makes a router forget a route or read another", async () => {
    const clock = { now: 1_000_000 };
    const a = isolate(clock);
    const site = await twoVersions("attack");
    expect(await a.text(`http://${site.host}/`)).toEqual(v1);
    await site.roll();

    // Whatever a visitor sends, on the site's host or the platform's, nothing reaches the route source but
    // the Host it asks for.
    const paths = [
      "/__miaobu/routes",
      `/__miaobu/routes/x/${site.host}`,
      "/__miaobu/route-events",
      "/routesChanged",
    ];
    for (const host of [site.host, "localhost", "routes.localhost"]) {
      for (const path of paths) {
        for (const method of ["GET", "POST", "PURGE", "DELETE"]) {
          const res = await a.text(`http://${host}${path}`, {
            method,
            headers: {
              "Cache-Tag": "x",
              "X-Miaobu-Route-Change": site.projectId,
              "Content-Type": "application/json",
            },
            ...(method === "POST"
              ? { body: JSON.stringify({ projectId: site.projectId, hostnames: [site.host] }) }
              : {}),
          });
          expect(res.body).not.toContain(site.projectId);
          expect(res.body).not.toContain("deployment_id");
        }
      }
    }
    // Neither this isolate nor the colo forgot: the old route stands until the memo's bound.
    expect(await a.text(`http://${site.host}/`)).toEqual(v1);
    expect(await isolate(clock).text(`http://${site.host}/`)).toEqual(v1);
  });

  it("the entrypoint refuses anything but a route change, and a change carries no route", async () => {
    for (const bad of [
      null,
      "prj_x",
      { projectId: "prj_x" },
      { projectId: "../x", hostnames: [] },
      { projectId: "prj_x", hostnames: [""] },
      { projectId: "prj_x", hostnames: [42] },
      { projectId: "prj_x", hostnames: Array.from({ length: 1001 }, (_, i) => `h${i}.localhost`) },
    ]) {
      expect(parseRouteChange(bad), JSON.stringify(bad)?.slice(0, 60)).toBeNull();
    }
    expect(
      parseRouteChange({
        projectId: "prj_abc",
        hostnames: ["WWW.Example.COM.", "a.localhost:8788"],
        deploymentId: "dpl_x",
      }),
    ).toEqual({
      projectId: "prj_abc",
      hostnames: ["www.example.com", "a.localhost"],
    });
    const refused = await Promise.resolve(exports.RouteEvents.routesChanged({ projectId: "nope" })).then(
      () => "accepted",
      (error: unknown) => String(error),
    );
    expect(refused).toMatch(/routesChanged expects/);
  });
});

describe("route source tiers", () => {
  it("a colo entry serves every isolate there until it expires; D1 is not asked", async () => {
    const clock = { now: 1_000_000 };
    const site = await twoVersions("colo");
    expect(await isolate(clock).text(`http://${site.host}/`)).toEqual(v1);
    await site.roll();
    clock.now += 59_999;
    expect(await isolate(clock).text(`http://${site.host}/`)).toEqual(v1);
    clock.now += 1;
    expect(await isolate(clock).text(`http://${site.host}/`)).toEqual(v2);
  });

  it("a route change drops the host from the memo and the colo: the very next request reads D1", async () => {
    const clock = { now: 1_000_000 };
    const a = isolate(clock);
    const site = await twoVersions("forget");
    expect(await a.text(`http://${site.host}/`)).toEqual(v1);
    await site.roll();
    await a.forget(site.projectId, [site.host]);
    expect(await a.text(`http://${site.host}/`)).toEqual(v2);
    expect(await isolate(clock).text(`http://${site.host}/`)).toEqual(v2);
  });

  it("a project-wide change drops every host of the project this isolate remembers", async () => {
    const clock = { now: 1_000_000 };
    const a = isolate(clock, "0");
    const site = await twoVersions("project");
    const branch = `main--${site.host}`;
    await setRoute(branch, site.projectId, site.v1.deploymentId, "branch");
    expect(await a.text(`http://${branch}/`)).toEqual(v1);
    await setRoute(branch, site.projectId, site.v2.deploymentId, "branch");
    await a.forget(site.projectId, []);
    expect(await a.text(`http://${branch}/`)).toEqual(v2);
  });

  it("the exported RouteEvents entrypoint reaches the router that serves visitors", async () => {
    const site = await twoVersions("entrypoint");
    const get = async () => (await exports.default.fetch(new Request(`http://${site.host}/`))).text();
    expect(await get()).toBe("version 1");
    await site.roll();
    await exports.RouteEvents.routesChanged({ projectId: site.projectId, hostnames: [site.host] });
    expect(await get()).toBe("version 2");
  });

  it("a read that began before a change is not stored in the colo, where it would outlive it", async () => {
    const old: RouteRow = {
      project_id: "prj_race",
      deployment_id: "dpl_old",
      kind: "production",
      previous_deployment_id: null,
      previous_until: null,
      preview_password_hash: null,
      skew_protection_days: 0,
      deleted: 0,
    } as unknown as RouteRow;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const statement = {
      bind: () => statement,
      first: async () => {
        await gate;
        return old;
      },
    };
    const db = { withSession: () => ({ prepare: () => statement }) } as unknown as D1Database;
    const edge = new EdgeRouteCache({ cache: caches.default, origin: "https://localhost", ttlSeconds: 60 });
    const source = new RouteSource(db, new RouteMemo({ ttlMs: 2000, maxEntries: 10 }), edge);
    const host = `${uniqueSlug("race")}.localhost`;
    const pending: Promise<unknown>[] = [];

    const lookup = source.lookup(host, (p) => pending.push(p));
    await source.forget({ projectId: "prj_race", hostnames: [host] });
    release();
    expect((await lookup)?.deploymentId).toBe("dpl_old");
    await Promise.all(pending);
    expect(await edge.get(host)).toBeUndefined();
  });
});
