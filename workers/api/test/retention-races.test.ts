// A sweep racing uploads, promotions and pins. The sweep's `onPhase` hook runs the racing requests at a
// chosen point between two of its steps, so each interleaving is exact and repeatable (no sleeps).
import { env } from "cloudflare:workers";
import { deployments } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../src/errors.ts";
import { runBatch } from "../src/lib/batch.ts";
import { makeProduction } from "../src/services/deployments/routes.ts";
import { domainRouteStatement } from "../src/services/domains/routing.ts";
import { assertNotSweeping, SWEEPING_MESSAGE, touchBlobs } from "../src/services/retention/guards.ts";
import { type PrunePhase, type PruneReport, pruneProject } from "../src/services/retention/sweep.ts";
import { api, createProject, newUser, type ProjectJson, type TestUser } from "./helpers.ts";
import {
  ageBlobs,
  type Blob,
  blobsOf,
  createDeployment,
  deployFiles,
  deps,
  finalize,
  finalizeUntilReady,
  poolFile,
  projectRow,
  recordedBlobs,
  type SiteFile,
  setRetention,
  statusOf,
  storedBlobs,
  upload,
} from "./retention-helpers.ts";

let owner: TestUser;
let project: ProjectJson;
/** Files only the doomed deployments use: `a` and `b` are A's, `c` is B's. */
let files: Record<"a" | "b" | "c" | "d" | "fresh", SiteFile>;
let A: string;
let B: string;
let C: string;

// Production A, then B, then C. One production deployment is kept and skew protection is off, so the
// plan deletes A and B; their files are used by nothing else.
beforeEach(async () => {
  owner = await newUser();
  project = await createProject(owner.token);
  await setRetention(owner.token, project.name, { retainProduction: 1, retainPreview: 1, retainDays: 0 });
  await api(`/api/v1/projects/${project.name}`, {
    method: "PATCH",
    token: owner.token,
    json: { skewProtectionDays: 0 },
  });
  const seed = project.name;
  files = {
    a: await poolFile(seed, 1, true),
    b: await poolFile(seed, 2),
    c: await poolFile(seed, 3),
    d: await poolFile(seed, 4),
    fresh: await poolFile(seed, 5),
  };
  A = (await deployFiles(owner.token, project.name, [files.a, files.b])).id;
  B = (await deployFiles(owner.token, project.name, [files.c])).id;
  C = (await deployFiles(owner.token, project.name, [files.d])).id;
  await ageBlobs(project.id);
});

/** Runs a sweep with `race` run once, right after `phase`. */
async function sweepWith(phase: PrunePhase, race: () => Promise<void>): Promise<PruneReport> {
  let ran = false;
  const report = await pruneProject(deps(), await projectRow(project.id), {
    onPhase: async (name) => {
      if (name !== phase) return;
      ran = true;
      await race();
    },
  });
  expect(ran).toBe(true);
  return report;
}

async function productionOf(): Promise<string | null> {
  const row = await env.DB.prepare("select production_deployment_id as id from projects where id = ?")
    .bind(project.id)
    .first<{ id: string | null }>();
  return row?.id ?? null;
}

/** No host but a deployment's own points at a deleted deployment, and production is not deleted. */
async function expectNothingPointsAtDeleted(): Promise<void> {
  const { results } = await env.DB.prepare(
    `select r.hostname, r.kind from routes r join deployments d on d.id = r.deployment_id
     where r.project_id = ? and d.status = 'deleted' and r.kind <> 'deployment'`,
  )
    .bind(project.id)
    .all();
  expect(results).toEqual([]);
  expect(await statusOf((await productionOf()) ?? "")).not.toBe("deleted");
}

const blobHashes = (...sites: SiteFile[]) => [...blobsOf(sites).keys()];

describe("a sweep racing a promotion", () => {
  it("keeps a planned deployment that is promoted before it is marked deleted", async () => {
    const report = await sweepWith("planned", async () => {
      const res = await api(`/api/v1/deployments/${B}/promote`, { method: "POST", token: owner.token });
      expect(res.status).toBe(200);
    });
    expect(report.deleted.map((d) => d.id)).toEqual([A]);
    expect(report.kept.map((k) => k.id)).toContain(B);
    expect(await statusOf(B)).toBe("ready");
    expect(await productionOf()).toBe(B);
    const stored = await storedBlobs(project.id);
    for (const hash of blobHashes(files.c, files.d)) expect(stored.has(hash)).toBe(true);
    for (const hash of blobHashes(files.a, files.b)) expect(stored.has(hash)).toBe(false);
    await expectNothingPointsAtDeleted();
  });

  it("refuses a promotion, a rollback and a pin that land after the deployment is marked deleted", async () => {
    const db = deps().db;
    // What promote and rollback had read before the sweep marked it: a ready deployment.
    const stale = await db.select().from(deployments).where(eq(deployments.id, A)).get();
    const projectBefore = await projectRow(project.id);
    const outcomes: unknown[] = [];
    await sweepWith("deployments-deleted", async () => {
      if (!stale) throw new Error("no row");
      for (const write of [
        () => makeProduction(deps(), projectBefore, stale),
        () =>
          runBatch(db, [
            domainRouteStatement(
              db,
              { hostname: `www.${project.name}.example`, projectId: project.id },
              A,
              Date.now(),
            ),
          ]),
      ]) {
        outcomes.push(
          await write().then(
            () => "written",
            (error: unknown) => error,
          ),
        );
      }
      const promote = await api(`/api/v1/deployments/${A}/promote`, { method: "POST", token: owner.token });
      expect(promote.status).toBe(409);
      const rollback = await api(`/api/v1/projects/${project.name}/rollback`, {
        token: owner.token,
        json: { deploymentId: A },
      });
      expect(rollback.status).toBe(409);
    });
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(ApiError);
      expect((outcome as ApiError).status).toBe(409);
      expect((outcome as ApiError).message).toMatch(/deleted by the project's retention policy/);
    }
    expect(await statusOf(A)).toBe("deleted");
    expect(await productionOf()).toBe(C);
    await expectNothingPointsAtDeleted();
    // The production host still names B (now deleted) as its expired skew fallback: that blocks nothing.
    const again = await api(`/api/v1/deployments/${C}/promote`, { method: "POST", token: owner.token });
    expect(again.status).toBe(200);
  });

  it("keeps a planned deployment a domain is pinned to before it is marked deleted", async () => {
    const report = await sweepWith("planned", async () => {
      const res = await api(`/api/v1/projects/${project.name}/domains`, {
        token: owner.token,
        json: { hostname: `www.${project.name}.example`, deploymentId: A },
      });
      expect(res.status).toBe(201);
    });
    expect(report.deleted.map((d) => d.id)).toEqual([B]);
    expect(await statusOf(A)).toBe("ready");
    const stored = await storedBlobs(project.id);
    for (const hash of blobHashes(files.a, files.b)) expect(stored.has(hash)).toBe(true);
  });

  it("refuses a pin that lands after the deployment is marked deleted", async () => {
    await sweepWith("deployments-deleted", async () => {
      const res = await api(`/api/v1/projects/${project.name}/domains`, {
        token: owner.token,
        json: { hostname: `www.${project.name}.example`, deploymentId: A },
      });
      expect(res.status).toBe(409);
    });
    await expect(
      env.DB.prepare(
        "insert into domains (id, project_id, hostname, verification_token, deployment_id, created_at, updated_at) values ('dom_x', ?, 'x.example', 't', ?, 0, 0)",
      )
        .bind(project.id, A)
        .run(),
    ).rejects.toThrow(/deployment_deleted/);
  });
});

describe("a sweep racing an upload", () => {
  /**
   * Creates a deployment of `site` and uploads what it is told is missing; no finalize. An upload refused
   * because the sweep holds its lease (503) is left for `finalizeUntilReady` to send again.
   */
  async function start(site: SiteFile[]): Promise<{ id: string; blobs: Map<string, Blob> }> {
    const created = await createDeployment(owner.token, project.name, site, "feature");
    const blobs = blobsOf(site);
    for (const hash of created.missing) {
      const res = await api(`/api/v1/deployments/${created.id}/blobs/${hash}`, {
        method: "PUT",
        token: owner.token,
        body: blobs.get(hash)?.bytes ?? new Uint8Array(),
        headers: { "Content-Type": "application/octet-stream" },
      });
      if (res.status === 503)
        expect((await res.json<{ detail: string }>()).detail).toMatch(/retention sweep/);
      else expect(res.status).toBe(201);
    }
    return { id: created.id, blobs };
  }

  async function expectServable(id: string, site: SiteFile[]): Promise<void> {
    expect(await statusOf(id)).toBe("ready");
    const stored = await storedBlobs(project.id);
    const recorded = await recordedBlobs(project.id);
    for (const hash of blobHashes(...site)) {
      expect(stored.has(hash), `object ${hash}`).toBe(true);
      expect(recorded.has(hash), `row ${hash}`).toBe(true);
    }
  }

  it("a deployment created after the mark that reuses doomed blobs ends ready with every file", async () => {
    // Created, uploaded and finalized while the sweep runs, after it marked but before it deleted.
    const site = [files.a, files.fresh];
    let racing: { id: string; blobs: Map<string, Blob> } | undefined;
    await sweepWith("marked", async () => {
      racing = await start(site);
      const res = await finalize(owner.token, racing.id);
      // Finalize either waits for the sweep (503) or succeeds because the touch saved its blobs.
      expect([200, 503]).toContain(res.status);
    });
    if (!racing) throw new Error("the race did not run");
    await finalizeUntilReady(owner.token, racing.id, racing.blobs);
    await expectServable(racing.id, site);
  });

  it("a blob uploaded again while the sweep deletes it is reported missing, then uploaded again", async () => {
    // The sweep has deleted the rows of A's blobs but not yet their objects: the new deployment is told they
    // are missing and uploads them, then the sweep deletes the objects. The re-check deletes the rows again.
    const site = [files.a, files.b];
    let racing: { id: string; blobs: Map<string, Blob> } | undefined;
    await sweepWith("blob-rows-deleted", async () => {
      racing = await start(site);
    });
    if (!racing) throw new Error("the race did not run");
    const res = await finalize(owner.token, racing.id);
    expect(res.status).toBe(422);
    const problem = await res.json<{ code: string; missing: { hash: string }[] }>();
    expect(problem.code).toBe("missing_blobs");
    expect(problem.missing.map((m) => m.hash).sort()).toEqual(blobHashes(...site).sort());
    await finalizeUntilReady(owner.token, racing.id, racing.blobs);
    await expectServable(racing.id, site);
  });

  it("a blob uploaded again after the sweep deleted its object stays", async () => {
    const site = [files.a];
    let racing: { id: string; blobs: Map<string, Blob> } | undefined;
    await sweepWith("blobs-deleted", async () => {
      racing = await start(site);
    });
    if (!racing) throw new Error("the race did not run");
    // Uploads were refused while the sweep held its lease; finalize names them, the client sends them.
    await finalizeUntilReady(owner.token, racing.id, racing.blobs);
    await expectServable(racing.id, site);
  });

  it("the guards themselves: a touch after the mark saves a doomed blob; the lease is visible", async () => {
    // What deployment creation and finalize do with them (the two tests around this one go through the API).
    const site = [files.a, files.fresh];
    let racing: { id: string; blobs: Map<string, Blob> } | undefined;
    // The guard as the API runs it: on the project row it has just read.
    const guard = async () => assertNotSweeping(await projectRow(project.id), Date.now());
    await sweepWith("marked", async () => {
      const created = await createDeployment(owner.token, project.name, site, "feature");
      await touchBlobs(deps().db, project.id, blobHashes(...site), Date.now());
      expect(created.missing).toEqual([files.fresh.blob.hash]);
      racing = { id: created.id, blobs: blobsOf(site) };
      await expect(guard()).rejects.toMatchObject({
        code: "unavailable",
        message: SWEEPING_MESSAGE,
      });
    });
    await expect(guard()).resolves.toBeUndefined();
    if (!racing) throw new Error("the race did not run");
    await upload(owner.token, racing.id, [files.fresh.blob.hash], racing.blobs);
    // Nothing has to be uploaded again: the touched rows and their objects survived the sweep.
    const stored = await storedBlobs(project.id);
    const recorded = await recordedBlobs(project.id);
    for (const hash of blobHashes(...site)) {
      expect(stored.has(hash), `object ${hash}`).toBe(true);
      expect(recorded.has(hash), `row ${hash}`).toBe(true);
    }
    expect((await finalize(owner.token, racing.id)).status).toBe(200);
  });

  it("finalize waits while the sweep holds its lease", async () => {
    const site = [files.d, files.fresh];
    let racing: { id: string; blobs: Map<string, Blob> } | undefined;
    await sweepWith("blob-rows-deleted", async () => {
      racing = await start(site);
      const res = await finalize(owner.token, racing.id);
      expect(res.status).toBe(503);
      expect(res.headers.get("Retry-After")).toMatch(/^[1-5]$/);
      expect((await res.json<{ detail: string }>()).detail).toMatch(/retention sweep/);
    });
    if (!racing) throw new Error("the race did not run");
    await finalizeUntilReady(owner.token, racing.id, racing.blobs);
    await expectServable(racing.id, site);
  });

  it("the deployment prefix of a deleted deployment is gone and its own host is kept for the 410", async () => {
    await pruneProject(deps(), await projectRow(project.id));
    for (const id of [A, B]) {
      const listed = await env.STORAGE.list({ prefix: storageKeys.deployment(project.id, id) });
      expect(listed.objects).toEqual([]);
      const own = await env.DB.prepare("select kind from routes where deployment_id = ?").bind(id).all();
      expect(own.results).toEqual([{ kind: "deployment" }]);
    }
  });
});
