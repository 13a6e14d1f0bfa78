import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import {
  callback,
  cancelsOf,
  coordinator,
  freeBuildSlots,
  gitProject,
  report,
  row,
  startOf,
  startsOf,
  trigger,
} from "./build-helpers.ts";
import { api, deploy, file, newUser, putBlob, routesOf, uniqueName } from "./helpers.ts";

/** Uploads a one-file site as the builder does and finalizes; answers the finalize status. */
async function finishBuild(token: string, deploymentId: string, content = "<h1>built</h1>"): Promise<number> {
  const index = await file("index.html", content);
  const manifest = await callback(token, `${deploymentId}/manifest`, {
    files: [{ path: index.path, hash: index.hash, size: index.size }],
  });
  expect(manifest.status).toBe(200);
  const { missing } = await manifest.json<{ missing: string[] }>();
  if (missing.length > 0)
    expect((await putBlob(token, deploymentId, index.hash, index.bytes)).status).toBe(201);
  const res = await api(`/api/v1/deployments/${deploymentId}/finalize`, { method: "POST", token });
  return res.status;
}

afterEach(freeBuildSlots);

describe("ProjectCoordinator", () => {
  it("runs one build per project at a time and starts the next when one ends", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const a = await trigger(token, project.name, { branch: "main" });
    const b = await trigger(token, project.name, { branch: "feature" });
    expect(await startsOf(b.id)).toHaveLength(0);
    expect((await row(b.id)).started_at).toBeNull();

    const started = await startOf(a.id);
    await report(started.callback.token, a.id, { status: "failed", error: "exit 1" });
    expect(await row(a.id)).toMatchObject({ status: "failed", error_message: "exit 1" });
    expect(await startsOf(b.id)).toHaveLength(1);
  });

  it("supersedes older queued builds of the same branch, not running ones or other branches", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const running = await trigger(token, project.name);
    const older = await trigger(token, project.name);
    const other = await trigger(token, project.name, { branch: "docs" });
    const newer = await trigger(token, project.name);
    expect(await row(older.id)).toMatchObject({ status: "superseded" });
    expect((await row(older.id)).error_message).toContain(newer.id);
    expect((await row(running.id)).status).toBe("queued");
    expect((await row(other.id)).status).toBe("queued");
    expect((await row(newer.id)).status).toBe("queued");

    const { callback: cb } = await startOf(running.id);
    expect(await finishBuild(cb.token, running.id)).toBe(200);
    expect((await row(running.id)).status).toBe("ready");
    expect((await row(running.id)).finished_at).not.toBeNull();
    // Oldest first: the docs build was queued before the newer main one.
    expect(await startsOf(other.id)).toHaveLength(1);
    expect(await startsOf(newer.id)).toHaveLength(0);
    expect(await startsOf(older.id)).toHaveLength(0);
  });

  it("caps builds across projects and starts a waiting one when a slot frees", async () => {
    const { token } = await newUser();
    const [p1, p2, p3] = [await gitProject(token), await gitProject(token), await gitProject(token)];
    const d1 = await trigger(token, p1.name);
    const d2 = await trigger(token, p2.name);
    const d3 = await trigger(token, p3.name);
    // MIAOBU_MAX_CONCURRENT_BUILDS is 2 in the tests.
    expect(await startsOf(d1.id)).toHaveLength(1);
    expect(await startsOf(d2.id)).toHaveLength(1);
    expect(await startsOf(d3.id)).toHaveLength(0);
    expect(await runDurableObjectAlarm(coordinator(p3.id))).toBe(true);
    expect(await startsOf(d3.id)).toHaveLength(0);

    const { callback: cb } = await startOf(d1.id);
    await report(cb.token, d1.id, { status: "canceled" });
    // Nobody tells p3; its retry alarm finds the free slot.
    expect(await runDurableObjectAlarm(coordinator(p3.id))).toBe(true);
    expect(await startsOf(d3.id)).toHaveLength(1);
  });

  it("never lets an older build replace a newer production deployment", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const build = await trigger(token, project.name);
    const { callback: cb } = await startOf(build.id);
    await report(cb.token, build.id, { status: "building" });
    // A newer deployment of the production branch (a CLI upload) becomes production first.
    const newer = await deploy(token, project.name, [await file("index.html", "newer")]);
    expect(newer.isProduction).toBe(true);

    expect(await finishBuild(cb.token, build.id)).toBe(200);
    const done = await api(`/api/v1/deployments/${build.id}`, { token });
    const { deployment } = await done.json<{ deployment: { status: string; isProduction: boolean } }>();
    expect(deployment).toMatchObject({ status: "ready", isProduction: false });
    const routes = await routesOf(project.id);
    expect(routes[`${project.name}.localhost`]?.deploymentId).toBe(newer.id);
  });

  it("promotes a build of the production branch when nothing newer is production", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const build = await trigger(token, project.name);
    const { callback: cb } = await startOf(build.id);
    expect(await finishBuild(cb.token, build.id)).toBe(200);
    const res = await api(`/api/v1/projects/${project.name}`, { token });
    const body = await res.json<{ project: { productionDeploymentId: string } }>();
    expect(body.project.productionDeploymentId).toBe(build.id);
  });

  it("fails a silent build from its watchdog alarm and starts the next", async () => {
    const { token } = await newUser();
    const project = await gitProject(token);
    const silent = await trigger(token, project.name);
    const next = await trigger(token, project.name, { branch: "next" });
    const { callback: cb } = await startOf(silent.id);
    await report(cb.token, silent.id, { status: "cloning" });

    // Still reporting: the alarm leaves it alone.
    expect(await runDurableObjectAlarm(coordinator(project.id))).toBe(true);
    expect((await row(silent.id)).status).toBe("cloning");

    await env.DB.prepare("update deployments set heartbeat_at = ? where id = ?")
      .bind(Date.now() - 61_000, silent.id)
      .run();
    expect(await runDurableObjectAlarm(coordinator(project.id))).toBe(true);
    const failed = await row(silent.id);
    expect(failed.status).toBe("failed");
    expect(failed.error_message).toMatch(/stopped reporting/);
    expect(await cancelsOf(silent.id)).toBe(1);
    expect(await startsOf(next.id)).toHaveLength(1);
    const log = await api(`/api/v1/deployments/${silent.id}/logs`, { token });
    expect(await log.text()).toMatch(/stopped reporting/);
    // Its token is dead: a late report is refused.
    expect((await callback(cb.token, `${silent.id}/events`, { status: "building" })).status).toBe(401);
  });

  it("keeps a build queued while the builder is at capacity, and fails one the builder refuses", async () => {
    const { token } = await newUser();
    const busy = await gitProject(token, uniqueName("busy"));
    const d = await trigger(token, busy.name);
    expect(await startsOf(d.id)).toHaveLength(1);
    expect(await row(d.id)).toMatchObject({ status: "queued", started_at: null, callback_token_hash: null });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await runDurableObjectAlarm(coordinator(busy.id))).toBe(true);
    expect(await startsOf(d.id)).toHaveLength(2);

    const broken = await gitProject(token, uniqueName("broken"));
    const b = await trigger(token, broken.name);
    expect(await row(b.id)).toMatchObject({ status: "failed" });
    expect((await row(b.id)).error_message).toMatch(/HTTP 500/);
  });
});
