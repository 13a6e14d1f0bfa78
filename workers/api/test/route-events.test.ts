import { env } from "cloudflare:workers";
import type { RouteChange } from "@miaobu/shared";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it, vi } from "vitest";
import { watchRoutes } from "../src/services/route-events/announce.ts";
import { purgeRouteTags } from "../src/services/route-events/notifiers.ts";
import { addDomain, pointDomain, uniqueHost, verify } from "./domains-helpers.ts";
import { api, createProject, deploy, file, newUser } from "./helpers.ts";

/** What the router stand-in's RouteEvents entrypoint received for a project (vitest.router-stub.ts). */
async function announced(projectId: string): Promise<RouteChange[]> {
  const res = await (env as unknown as { TEST_ROUTE_EVENTS: Fetcher }).TEST_ROUTE_EVENTS.fetch(
    "http://stub/",
  );
  return (await res.json<RouteChange[]>()).filter((change) => change.projectId === projectId);
}

async function site() {
  const { token } = await newUser();
  const project = await createProject(token);
  const one = await deploy(token, project.id, [await file("a.txt", "1")]);
  const two = await deploy(token, project.id, [await file("a.txt", "2")]);
  return { token, project, one, two, host: `${project.name}.localhost` };
}

describe("route changes reach the router", () => {
  it("a rollback, a promotion and a deploy name the hosts they moved", async () => {
    const { token, project, one, host } = await site();
    const deploys = await announced(project.id);
    expect(deploys).toHaveLength(2);
    expect(deploys[1]?.hostnames).toEqual(expect.arrayContaining([host, `main--${host}`]));

    const rollback = await api(`/api/v1/projects/${project.id}/rollback`, { method: "POST", token });
    expect(rollback.status).toBe(200);
    const afterRollback = await announced(project.id);
    expect(afterRollback).toHaveLength(3);
    expect(afterRollback[2]?.hostnames).toContain(host);

    expect((await api(`/api/v1/deployments/${one.id}/promote`, { method: "POST", token })).status).toBe(200);
    expect(await announced(project.id)).toHaveLength(4);
  });

  it("settings and a project's deletion name every host of the project, removed ones included", async () => {
    const { token, project, host } = await site();
    const before = (await announced(project.id)).length;
    const patch = await api(`/api/v1/projects/${project.id}`, {
      method: "PATCH",
      token,
      json: { skewProtectionDays: 0 },
    });
    expect(patch.status).toBe(200);
    expect((await announced(project.id))[before]?.hostnames).toContain(host);

    expect((await api(`/api/v1/projects/${project.id}`, { method: "DELETE", token })).status).toBeLessThan(
      300,
    );
    const last = (await announced(project.id)).at(-1);
    expect(last?.hostnames).toEqual(expect.arrayContaining([host, `main--${host}`]));
  });

  it("a domain's verification and removal name its host", async () => {
    const { token, project } = await site();
    const hostname = uniqueHost();
    const domain = await addDomain(token, project.id, hostname);
    await pointDomain(domain);
    expect((await verify(token, project.id, hostname)).status).toBe("verified");
    expect((await announced(project.id)).at(-1)?.hostnames).toContain(hostname);
    const count = (await announced(project.id)).length;

    const removed = await api(`/api/v1/projects/${project.id}/domains/${hostname}`, {
      method: "DELETE",
      token,
    });
    expect(removed.status).toBeLessThan(300);
    const changes = await announced(project.id);
    expect(changes).toHaveLength(count + 1);
    expect(changes.at(-1)?.hostnames).toContain(hostname);
  });

  it("a failed announcement never fails the write that made it", async () => {
    const { project } = await site();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const failing = { changed: () => Promise.reject(new Error("router unreachable")) };
    const announce = await watchRoutes({ db: drizzle(env.DB), routeEvents: failing }, project.id);
    await expect(announce()).resolves.toBeUndefined();
    expect(String(error.mock.calls[0]?.[0])).toContain("not announced");
    error.mockRestore();
  });

  it("a router that never answers holds the write's answer no longer than the bound", async () => {
    const { project } = await site();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const hung = { changed: () => new Promise<void>(() => {}) };
    const announce = await watchRoutes({ db: drizzle(env.DB), routeEvents: hung }, project.id, 20);
    await expect(announce()).resolves.toBeUndefined();
    expect(String(error.mock.calls[0]?.[0])).toContain("did not answer within 20 ms");
    error.mockRestore();
  });
});

describe("purge by tag", () => {
  it("purges the project's tag and the tags of hosts new to it, 30 tags a request", async () => {
    const requests: { url: string; tags: string[] }[] = [];
    const fetcher = (async (url: string, init?: RequestInit) => {
      requests.push({ url, tags: (JSON.parse(String(init?.body)) as { tags: string[] }).tags });
      return Response.json({ success: true, errors: [], result: {} });
    }) as unknown as typeof fetch;
    const added = Array.from({ length: 35 }, (_, i) => `h${i}.example`);
    const config = { apiUrl: "https://cf.test/client/v4", zoneId: "zone", apiToken: "t", repeatMs: 0 };
    await purgeRouteTags(config, { projectId: "prj_x", hostnames: added }, added, fetcher);
    expect(requests.map((r) => r.url)).toEqual([
      "https://cf.test/client/v4/zones/zone/purge_cache",
      "https://cf.test/client/v4/zones/zone/purge_cache",
    ]);
    expect(requests[0]?.tags[0]).toBe("miaobu-route-project:prj_x");
    expect(requests[0]?.tags[1]).toBe("miaobu-route-host:h0.example");
    expect(requests.flatMap((r) => r.tags)).toHaveLength(36);
  });
});
