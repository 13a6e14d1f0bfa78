// Retention against real D1 and R2 through the API: random project histories (uploads on production and
// preview branches, promotions, rollbacks, pinned domains, abandoned uploads, failed builds) followed by a
// sweep, checking that every kept deployment can still serve every file, deleted ones are gone, and no
// unreferenced blob is left. Plus the dry run, the endpoint's authorization, the settings and the cron.
import { env } from "cloudflare:workers";
import { storageKeys } from "@miaobu/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../src/scheduled.ts";
import type { PruneReport } from "../src/services/retention/sweep.ts";
import { api, createProject, expectProblem, newUser, type TestUser, uniqueName } from "./helpers.ts";
import {
  ageBlobs,
  blobsOf,
  createDeployment,
  deployFiles,
  hashesOf,
  keysUnder,
  poolFile,
  recordedBlobs,
  setRetention,
  statusOf,
  storedBlobs,
  upload,
} from "./retention-helpers.ts";

const BRANCHES = ["main", "feature-a", "feature-b"] as const;

type Command =
  | { t: "deploy"; branch: number; files: number[]; variant: boolean }
  | { t: "promote"; pick: number }
  | { t: "rollback" }
  | { t: "pin"; pick: number }
  | { t: "abandon"; files: number[]; uploadSome: boolean }
  | { t: "fail"; files: number[] };

const files = fc.uniqueArray(fc.nat(7), { minLength: 1, maxLength: 4 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("deploy" as const),
      branch: fc.nat(2),
      files,
      variant: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("promote" as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("rollback" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("pin" as const), pick: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("abandon" as const), files, uploadSome: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("fail" as const), files }) },
);

interface Tracked {
  id: string;
  /** Every blob its manifest names. */
  names: Set<string>;
  /** Blobs the deployment has: every one for a ready deployment, what arrived for an abandoned upload. */
  present: Set<string>;
}

/** Runs the commands against a fresh project; answers what each deployment has. */
async function play(owner: TestUser, project: { id: string; name: string }, commands: Command[]) {
  const seed = uniqueName("pool");
  const pool = async (picks: number[], variant: boolean) =>
    Promise.all(picks.map((i) => poolFile(seed, i, variant && i % 2 === 0)));
  const tracked: Tracked[] = [];
  const ready: string[] = [];
  const pinned: string[] = [];
  for (const c of commands) {
    if (c.t === "deploy") {
      const site = await pool(c.files, c.variant);
      const created = await deployFiles(owner.token, project.name, site, BRANCHES[c.branch]);
      tracked.push({ id: created.id, names: new Set(hashesOf(site)), present: new Set(hashesOf(site)) });
      ready.push(created.id);
    } else if (c.t === "promote" && ready.length > 0) {
      const target = ready[c.pick % ready.length];
      const res = await api(`/api/v1/deployments/${target}/promote`, { method: "POST", token: owner.token });
      expect(res.status).toBe(200);
    } else if (c.t === "rollback") {
      const res = await api(`/api/v1/projects/${project.name}/rollback`, {
        method: "POST",
        token: owner.token,
      });
      expect([200, 409]).toContain(res.status);
    } else if (c.t === "pin" && ready.length > 0) {
      // A pending domain pinned to a deployment: no route yet, but the pin alone keeps it.
      const target = ready[c.pick % ready.length] ?? "";
      const res = await api(`/api/v1/projects/${project.name}/domains`, {
        token: owner.token,
        json: { hostname: `${uniqueName("pin")}.example`, deploymentId: target },
      });
      expect(res.status).toBe(201);
      pinned.push(target);
    } else if (c.t === "abandon" || c.t === "fail") {
      const site = await pool(c.files, false);
      const created = await createDeployment(owner.token, project.name, site, "main");
      const sent = c.t === "abandon" && c.uploadSome ? created.missing.slice(0, 1) : [];
      await upload(owner.token, created.id, sent, blobsOf(site));
      const present = new Set(hashesOf(site).filter((h) => !created.missing.includes(h) || sent.includes(h)));
      tracked.push({ id: created.id, names: new Set(hashesOf(site)), present });
      if (c.t === "fail") {
        // What a build that failed after submitting its manifest looks like.
        await env.DB.prepare("update deployments set status = 'failed' where id = ?").bind(created.id).run();
      }
    }
  }
  return { tracked, pinned, seed };
}

async function prune(token: string, project: string, dryRun = false): Promise<PruneReport> {
  const res = await api(`/api/v1/projects/${project}/prune`, { token, json: { dryRun } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<PruneReport>();
}

/** Everything retention may change, to compare before and after a dry run. */
async function snapshot(projectId: string) {
  const { results } = await env.DB.prepare(
    "select id, status from deployments where project_id = ? order by id",
  )
    .bind(projectId)
    .all();
  return {
    deployments: results,
    blobs: [...(await recordedBlobs(projectId))].sort(),
    keys: (await keysUnder(storageKeys.project(projectId))).sort(),
  };
}

describe("a retention sweep over random histories", () => {
  it("keeps every file of every kept deployment and nothing else", { timeout: 240_000 }, async () => {
    const owner = await newUser();
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 3, maxLength: 12 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 2 }),
        async (commands, retainProduction, retainPreview) => {
          const project = await createProject(owner.token);
          await setRetention(owner.token, project.name, { retainProduction, retainPreview, retainDays: 0 });
          const { tracked, pinned, seed } = await play(owner, project, commands);
          await ageBlobs(project.id);

          // A dry run changes nothing and announces exactly what the sweep then does.
          const before = await snapshot(project.id);
          const dry = await prune(owner.token, project.name, true);
          expect(await snapshot(project.id)).toEqual(before);
          const report = await prune(owner.token, project.name);
          expect(report.deleted).toEqual(dry.deleted);
          expect(report.kept).toEqual(dry.kept);
          expect(report.blobs).toEqual(dry.blobs);

          const deleted = new Set(report.deleted.map((d) => d.id));
          const stored = await storedBlobs(project.id);
          const uploaded = new Set(tracked.flatMap((t) => [...t.present]));
          const named = new Set<string>();
          for (const t of tracked) {
            const status = await statusOf(t.id);
            const prefix = await keysUnder(storageKeys.deployment(project.id, t.id));
            if (deleted.has(t.id)) {
              expect(status).toBe("deleted");
              expect(prefix).toEqual([]);
              continue;
            }
            expect(status).not.toBe("deleted");
            expect(prefix).toContain(storageKeys.manifest(project.id, t.id));
            for (const hash of t.present) expect(stored.has(hash), `${t.id} lost ${hash}`).toBe(true);
            for (const hash of t.names) named.add(hash);
          }
          // Mark and sweep: exactly the uploaded blobs a kept deployment names remain, in storage and in D1.
          const expected = [...named].filter((h) => uploaded.has(h)).sort();
          expect([...stored].sort()).toEqual(expected);
          expect([...(await recordedBlobs(project.id))].sort()).toEqual(expected);

          // Production, every alias and every pin survive; nothing but its own host points at a deleted one.
          const { results: routes } = await env.DB.prepare(
            "select r.kind, d.status from routes r join deployments d on d.id = r.deployment_id where r.project_id = ?",
          )
            .bind(project.id)
            .all<{ kind: string; status: string }>();
          for (const r of routes) if (r.kind !== "deployment") expect(r.status).not.toBe("deleted");
          for (const id of pinned) expect(deleted.has(id)).toBe(false);
          const production = await env.DB.prepare(
            "select production_deployment_id as id from projects where id = ?",
          )
            .bind(project.id)
            .first<{ id: string | null }>();
          if (production?.id) expect(deleted.has(production.id)).toBe(false);

          // A second sweep finds nothing more, and the project deploys as before (a doomed file re-uploads).
          const again = await prune(owner.token, project.name);
          expect(again.deleted).toEqual([]);
          expect(again.blobs.deleted).toBe(0);
          const everything = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => poolFile(seed, i, true)));
          const last = await deployFiles(owner.token, project.name, everything);
          expect(await statusOf(last.id)).toBe("ready");
          const after = await storedBlobs(project.id);
          for (const hash of hashesOf(everything)) expect(after.has(hash)).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe("POST /api/v1/projects/:project/prune", () => {
  it("needs a credential, the admin scope, and the owner", async () => {
    const owner = await newUser();
    const other = await newUser();
    const project = await createProject(owner.token);
    const path = `/api/v1/projects/${project.name}/prune`;
    await expectProblem(await api(path, { method: "POST" }), 401, "unauthorized");
    await expectProblem(await api(path, { method: "POST", token: other.token }), 404, "not_found");
    for (const scopes of [["read"], ["deploy"]]) {
      const res = await api("/api/v1/tokens", { token: owner.token, json: { name: "ci", scopes } });
      const { token } = await res.json<{ token: string }>();
      await expectProblem(await api(path, { method: "POST", token }), 403, "insufficient_scope");
    }
    const res = await api(path, { method: "POST", token: owner.token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      dryRun: false,
      kept: [],
      deleted: [],
      blobs: { deleted: 0, bytes: 0 },
    });
    await expectProblem(await api(path, { token: owner.token, json: { dryRun: "yes" } }), 400, "bad_request");
    await expectProblem(await api(path, { token: owner.token, json: { force: true } }), 400, "bad_request");
  });

  it("answers 409 while another sweep of the project holds the lease; a dry run still answers", async () => {
    const owner = await newUser();
    const project = await createProject(owner.token);
    await env.DB.prepare("update projects set sweep_until = ? where id = ?")
      .bind(Date.now() + 60_000, project.id)
      .run();
    const path = `/api/v1/projects/${project.name}/prune`;
    const problem = await expectProblem(
      await api(path, { method: "POST", token: owner.token }),
      409,
      "conflict",
    );
    expect(problem.detail).toMatch(/already running/);
    expect((await api(path, { token: owner.token, json: { dryRun: true } })).status).toBe(200);
    // An expired lease is taken over.
    await env.DB.prepare("update projects set sweep_until = ? where id = ?")
      .bind(Date.now() - 1, project.id)
      .run();
    expect((await api(path, { method: "POST", token: owner.token })).status).toBe(200);
  });

  it("reports why each deployment is kept and what each deleted one was", async () => {
    const owner = await newUser();
    const project = await createProject(owner.token);
    await setRetention(owner.token, project.name, { retainProduction: 1, retainPreview: 1, retainDays: 0 });
    const a = await poolFile("report", 1);
    const b = await poolFile("report", 2);
    const first = await deployFiles(owner.token, project.name, [a]);
    const second = await deployFiles(owner.token, project.name, [b]);
    const third = await deployFiles(owner.token, project.name, [a, b]);
    const preview = await deployFiles(owner.token, project.name, [b], "feature");
    await ageBlobs(project.id);
    const report = await prune(owner.token, project.name);
    expect(report.dryRun).toBe(false);
    expect(new Map(report.kept.map((k) => [k.id, k.reason]))).toEqual(
      new Map([
        [third.id, "production"],
        // The previous production still answers old tabs (skew protection, 7 days by default).
        [second.id, "skew"],
        [preview.id, "routed"],
      ]),
    );
    expect(report.deleted).toEqual([
      {
        id: first.id,
        shortId: first.shortId,
        environment: "production",
        branch: "main",
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    // Every blob is still used by a kept deployment.
    expect(report.blobs).toEqual({ deleted: 0, bytes: 0 });
    const gone = await api(`/api/v1/deployments/${first.id}`, { token: owner.token });
    expect((await gone.json<{ deployment: { status: string } }>()).deployment.status).toBe("deleted");
    await expectProblem(
      await api(`/api/v1/deployments/${first.id}/promote`, { method: "POST", token: owner.token }),
      409,
      "conflict",
    );
  });
});

describe("abandoned uploads", () => {
  it("are kept for a day, then deleted with the files only they used", async () => {
    const owner = await newUser();
    const project = await createProject(owner.token);
    await setRetention(owner.token, project.name, { retainDays: 0 });
    const shared = await poolFile("abandoned", 1);
    const own = await poolFile("abandoned", 2);
    const live = await deployFiles(owner.token, project.name, [shared]);
    // A deploy interrupted after uploading one of its two files: it stays `uploading`.
    const left = await createDeployment(owner.token, project.name, [shared, own], "feature");
    await upload(owner.token, left.id, [own.blob.hash], blobsOf([own]));
    await ageBlobs(project.id);

    expect((await prune(owner.token, project.name)).kept).toContainEqual({
      id: left.id,
      shortId: expect.any(String),
      reason: "unfinished",
    });
    await env.DB.prepare("update deployments set created_at = created_at - ? where id = ?")
      .bind(25 * 60 * 60 * 1000, left.id)
      .run();
    const report = await prune(owner.token, project.name);
    expect(report.deleted.map((d) => d.id)).toEqual([left.id]);
    expect(report.blobs.deleted).toBe(1);
    expect(await statusOf(left.id)).toBe("deleted");
    expect(await keysUnder(storageKeys.deployment(project.id, left.id))).toEqual([]);
    const stored = await storedBlobs(project.id);
    expect(stored.has(own.blob.hash)).toBe(false);
    expect(stored.has(shared.blob.hash)).toBe(true);
    expect(await statusOf(live.id)).toBe("ready");
    // Too late to finish it: finalize says what happened.
    await expectProblem(
      await api(`/api/v1/deployments/${left.id}/finalize`, { method: "POST", token: owner.token }),
      409,
      "conflict",
    );
  });
});

describe("retention settings", () => {
  it("default to 10 production, 20 preview and 7 days, and are checked on update", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const read = async () =>
      (
        await (
          await api(`/api/v1/projects/${project.name}`, { token })
        ).json<{ project: Record<string, unknown> }>()
      ).project;
    expect(await read()).toMatchObject({ retainProduction: 10, retainPreview: 20, retainDays: 7 });
    for (const bad of [
      { retainProduction: 0 },
      { retainProduction: 1001 },
      { retainPreview: 0 },
      { retainPreview: 1001 },
      { retainDays: -1 },
      { retainDays: 366 },
    ]) {
      const res = await api(`/api/v1/projects/${project.name}`, { method: "PATCH", token, json: bad });
      await expectProblem(res, 422, "invalid_input");
    }
    const fraction = await api(`/api/v1/projects/${project.name}`, {
      method: "PATCH",
      token,
      json: { retainDays: 1.5 },
    });
    await expectProblem(fraction, 400, "bad_request");
    await setRetention(token, project.name, { retainProduction: 1000, retainPreview: 1, retainDays: 0 });
    expect(await read()).toMatchObject({ retainProduction: 1000, retainPreview: 1, retainDays: 0 });
    const created = await api("/api/v1/projects", { token, json: { name: uniqueName(), retainDays: 365 } });
    expect((await created.json<{ project: { retainDays: number } }>()).project.retainDays).toBe(365);
  });
});

describe("the cron", () => {
  it("sweeps due projects, and leaves young deployments alone", async () => {
    const owner = await newUser();
    const project = await createProject(owner.token);
    const young = await createProject(owner.token);
    await setRetention(owner.token, project.name, { retainProduction: 1, retainPreview: 1, retainDays: 0 });
    await setRetention(owner.token, young.name, { retainProduction: 1, retainPreview: 1 });
    const deploy = async (name: string, i: number) =>
      deployFiles(owner.token, name, [await poolFile(name, i)]);
    const old = await deploy(project.name, 1);
    await deploy(project.name, 2);
    await deploy(project.name, 3);
    const youngFirst = await deploy(young.name, 1);
    await deploy(young.name, 2);
    await deploy(young.name, 3);
    await ageBlobs(project.id);
    // Other projects in the database count as just swept, so these two are due first.
    await env.DB.prepare("update projects set sweep_until = ? where id not in (?, ?)")
      .bind(Date.now(), project.id, young.id)
      .run();
    await runScheduled(env);
    expect(await statusOf(old.id)).toBe("deleted");
    expect(await statusOf(youngFirst.id)).toBe("ready");
    const swept = await env.DB.prepare("select sweep_until as at from projects where id = ?")
      .bind(project.id)
      .first<{ at: number | null }>();
    expect(swept?.at).toBeGreaterThan(Date.now() - 60_000);
    expect(swept?.at).toBeLessThanOrEqual(Date.now());
  });
});

describe("orphan objects", () => {
  it("are deleted only when stored long before the sweep", async () => {
    const owner = await newUser();
    const project = await createProject(owner.token);
    await deployFiles(owner.token, project.name, [await poolFile("orphans", 1)]);
    const orphan = storageKeys.blob(project.id, "a".repeat(64));
    const unknown = `${storageKeys.blobs(project.id)}README`;
    await env.STORAGE.put(orphan, "stored without a row");
    await env.STORAGE.put(unknown, "not a blob name");
    const before = await storedBlobs(project.id);
    // Now: the orphan is fresh (an upload between storing a body and recording it), so it stays.
    await prune(owner.token, project.name);
    expect(await storedBlobs(project.id)).toEqual(before);
    // Two hours later it is an orphan and goes; what is not named like a blob is never touched.
    const { deps, projectRow } = await import("./retention-helpers.ts");
    const { pruneProject } = await import("../src/services/retention/sweep.ts");
    const later = deps(() => Date.now() + 2 * 60 * 60 * 1000);
    const report = await pruneProject(later, await projectRow(project.id));
    expect(report.blobs).toEqual({ deleted: 1, bytes: "stored without a row".length });
    expect(await env.STORAGE.head(orphan)).toBeNull();
    expect(await env.STORAGE.head(unknown)).not.toBeNull();
    expect((await storedBlobs(project.id)).size).toBe(before.size - 1);
    await env.DB.prepare("update projects set sweep_until = null where id = ?").bind(project.id).run();
  });
});
