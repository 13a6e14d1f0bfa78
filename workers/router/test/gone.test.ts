import { env, exports } from "cloudflare:workers";
import { newId, randomBase32, storageKeys } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { createRouter } from "../src/index.ts";
import { createProject, setRoute, storeDeployment, uniqueSlug } from "./seed.ts";

function get(url: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(url, init));
}

/** A deployment row as the API writes it, so the router can look its status up. */
async function insertDeployment(projectId: string, id: string, status: string): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO deployments (id, project_id, short_id, status, environment, branch, source, created_at)
     VALUES (?, ?, ?, ?, 'preview', 'feature', 'cli', ?)`,
  )
    .bind(id, projectId, randomBase32(8), status, Date.now())
    .run();
}

/** What retention does: the row becomes `deleted`, then the deployment's prefix goes. */
async function deleteByRetention(projectId: string, deploymentId: string): Promise<void> {
  await env.DB.prepare("UPDATE deployments SET status = 'deleted', deleted_at = ? WHERE id = ?")
    .bind(Date.now(), deploymentId)
    .run();
  const listed = await env.STORAGE.list({ prefix: storageKeys.deployment(projectId, deploymentId) });
  await env.STORAGE.delete(listed.objects.map((o) => o.key));
}

describe("a deployment deleted by retention", () => {
  it("answers 410 Gone at its own host, GET and HEAD", async () => {
    const slug = uniqueSlug("gone");
    const projectId = await createProject(slug);
    const { deploymentId } = await storeDeployment(projectId, { "/index.html": "soon gone" });
    await insertDeployment(projectId, deploymentId, "ready");
    const host = `abcd2345--${slug}.localhost`;
    await setRoute(host, projectId, deploymentId, "deployment");
    await deleteByRetention(projectId, deploymentId);
    const res = await get(`http://${host}/some/page`);
    expect(res.status).toBe(410);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("x-robots-tag")).toBe("noindex");
    expect(await res.text()).toContain("deleted by the project's retention policy");
    const head = await get(`http://${host}/`, { method: "HEAD" });
    expect(head.status).toBe(410);
    expect(await head.text()).toBe("");
  });

  it("answers 410 within the route cache's bound where the isolate still holds the manifest", async () => {
    const slug = uniqueSlug("cached");
    const projectId = await createProject(slug);
    const { deploymentId } = await storeDeployment(projectId, { "/index.html": "served, then deleted" });
    await insertDeployment(projectId, deploymentId, "ready");
    const host = `efgh2345--${slug}.localhost`;
    await setRoute(host, projectId, deploymentId, "deployment");
    let now = 1_000_000;
    const router = createRouter({ now: () => now, edgeCache: false });
    const before = await router.fetch(new Request(`http://${host}/`), env);
    expect(await before.text()).toBe("served, then deleted");
    await deleteByRetention(projectId, deploymentId);
    now += 2_001;
    const after = await router.fetch(new Request(`http://${host}/`), env);
    expect(after.status).toBe(410);
  });

  it("still answers 404 for an unknown host and for a missing manifest of a live deployment", async () => {
    const unknown = await get(`http://${uniqueSlug("nobody")}.localhost/`);
    expect(unknown.status).toBe(404);

    const slug = uniqueSlug("lost");
    const projectId = await createProject(slug);
    const deploymentId = newId("deployment");
    await insertDeployment(projectId, deploymentId, "ready");
    const host = `ijkm2345--${slug}.localhost`;
    await setRoute(host, projectId, deploymentId, "deployment");
    const res = await get(`http://${host}/`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("No site here");
  });

  it("cannot be routed to again: the triggers refuse new pointers at it", async () => {
    const slug = uniqueSlug("repoint");
    const projectId = await createProject(slug);
    const { deploymentId } = await storeDeployment(projectId, { "/index.html": "x" });
    await insertDeployment(projectId, deploymentId, "ready");
    await setRoute(`mnpq2345--${slug}.localhost`, projectId, deploymentId, "deployment");
    await deleteByRetention(projectId, deploymentId);
    await expect(setRoute(`${slug}.localhost`, projectId, deploymentId, "production")).rejects.toThrow(
      /deployment_deleted/,
    );
    const res = await get(`http://${slug}.localhost/`);
    expect(res.status).toBe(404);
  });
});
