/*
 * Retention: delete old deployments, then mark-and-sweep the project's blobs (docs/retention.md).
 *
 * Why a deployment being uploaded or promoted while a sweep runs is never harmed:
 *
 * - Deployments. The plan is made from a snapshot, but a deployment is marked `deleted` by one conditional
 *   UPDATE that skips it if, at that instant, it is production, a host other than its own points at it, a
 *   skew fallback in force names it, or a domain is pinned to it. After that UPDATE the triggers of
 *   migration 0004 abort any write that would point a host or a pin at it (409 for promote, rollback and
 *   pin). So either the promotion lands first and the deployment stays, or it fails and nothing points at a
 *   deleted deployment. Unfinished deployments (uploading, building…) are never deleted.
 *
 * - Blobs. T0 is taken before anything is read. A new deployment stores its manifest, then its row, then
 *   touches (`referenced_at = now`) every blob row its manifest names, then learns which are missing.
 *   - Touched before T0: its row existed before the sweep re-read the deployments (after T0), so its
 *     manifest is part of the mark and none of its blobs is a candidate.
 *   - Touched after T0: the conditional DELETE (`referenced_at < cutoff`) skips every row it touched;
 *     rows the sweep deleted before the touch are reported missing, and the client uploads them.
 *   - A blob uploaded again while the sweep deletes it (its row deleted, then re-recorded, then its object
 *     deleted): after the objects are gone the sweep re-reads those rows, and deletes any whose object is
 *     gone, so finalize reports it missing. Uploads, the builder's registrations and finalize refuse (503)
 *     while the lease is held. An upload that passed its check before the lease was taken belongs to a
 *     deployment visible to the mark, and uploads take only files of their deployment's manifest, so
 *     what it stores is marked (docs/retention.md).
 *   - Objects with no row at all (orphans) go only if stored long before T0, so an upload between storing
 *     a body and recording its row is never mistaken for one.
 *   The cut-offs sit a margin before T0 so that clocks of different machines a little apart change nothing.
 *   A ready deployment whose manifest cannot be read aborts the blob sweep: never delete on incomplete
 *   knowledge.
 */
import { projects } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import { asc, isNull, lte, or } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import type { ProjectRow } from "../projects/present.ts";
import { watchRoutes } from "../route-events/announce.ts";
import { deleteDeletedPrefixes, markDeleted, readState, type SweepDeployment } from "./deployments.ts";
import { acquireLease, releaseLease, renewLease } from "./lease.ts";
import { markReferenced } from "./mark.ts";
import { type KeepReason, planRetention } from "./plan.ts";
import { deleteObjects, deleteRows, findUnreferenced, recheckRows } from "./sweep-blobs.ts";

/** Rows touched or recorded this close to T0 are kept: clocks of two machines may disagree this much. */
export const CLOCK_MARGIN_MS = 60 * 1000;
/** Objects without a row are deleted only when stored this long before T0. */
export const ORPHAN_AGE_MS = 60 * 60 * 1000;

/** The steps of a sweep, in order; `onPhase` is called after each, for tests that interleave requests. */
export type PrunePhase =
  | "leased"
  | "planned"
  | "deployments-deleted"
  | "prefixes-deleted"
  | "marked"
  | "blob-rows-deleted"
  | "blobs-deleted"
  | "rechecked";

export interface PruneOptions {
  /** Report what would go and change nothing. */
  dryRun?: boolean;
  onPhase?: (phase: PrunePhase) => Promise<void> | void;
}

/** The answer of `POST /api/v1/projects/:project/prune` (docs/retention.md). */
export interface PruneReport {
  dryRun: boolean;
  kept: { id: string; shortId: string; reason: KeepReason }[];
  deleted: { id: string; shortId: string; environment: string; branch: string; createdAt: string }[];
  /** `skipped` says why no blob was deleted although some may be unreferenced. */
  blobs: { deleted: number; bytes: number; skipped?: string };
}

const SWEEP_BUSY = "A retention sweep of this project is already running; try again in a few minutes.";

/** Prunes one project now; 409 when another sweep of it is running. */
export async function pruneProject(
  deps: Pick<Deps, "db" | "storage" | "now" | "routeEvents">,
  project: ProjectRow,
  options: PruneOptions = {},
): Promise<PruneReport> {
  const report = await sweepProject(deps, project, options);
  if (!report) throw new ApiError("conflict", SWEEP_BUSY);
  return report;
}

function deletedEntry(d: SweepDeployment): PruneReport["deleted"][number] {
  return {
    id: d.id,
    shortId: d.shortId,
    environment: d.environment,
    branch: d.branch,
    createdAt: new Date(d.createdAt).toISOString(),
  };
}

/** One sweep; null when another holds the lease. */
async function sweepProject(
  deps: Pick<Deps, "db" | "storage" | "now" | "routeEvents">,
  project: ProjectRow,
  { dryRun = false, onPhase }: PruneOptions,
): Promise<PruneReport | null> {
  const { db, storage } = deps;
  const t0 = deps.now();
  const phase = async (name: PrunePhase) => {
    if (onPhase) await onPhase(name);
  };
  let lease: number | null = null;
  if (!dryRun) {
    lease = await acquireLease(db, project.id, t0);
    if (lease === null) return null;
    await phase("leased");
  }
  try {
    const state = await readState(db, project.id);
    const plan = planRetention({ project, ...state, now: t0 });
    const byId = new Map(state.deployments.map((d) => [d.id, d]));
    await phase("planned");

    let deleted = new Set(plan.delete);
    if (!dryRun) {
      // The deleted deployments' own hosts answer 410 at once: the router forgets what it cached of them.
      const announce = plan.delete.length > 0 ? await watchRoutes(deps, project.id) : null;
      deleted = await markDeleted(db, project.id, plan.delete, t0);
      if (deleted.size > 0) await announce?.();
      await phase("deployments-deleted");
      const live = new Set(state.deployments.filter((d) => !deleted.has(d.id)).map((d) => d.id));
      await deleteDeletedPrefixes(deps, project.id, live);
      await phase("prefixes-deleted");
    }
    const kept = state.deployments.flatMap((d) =>
      deleted.has(d.id) ? [] : [{ id: d.id, shortId: d.shortId, reason: plan.keep.get(d.id) ?? "routed" }],
    );
    const report: PruneReport = {
      dryRun,
      kept,
      deleted: plan.delete.flatMap((id) => {
        const d = byId.get(id);
        return d && deleted.has(id) ? [deletedEntry(d)] : [];
      }),
      blobs: { deleted: 0, bytes: 0 },
    };

    // The mark reads the deployments again: any created since the snapshot is marked too.
    const survivors = dryRun
      ? state.deployments.filter((d) => !deleted.has(d.id))
      : (await readState(db, project.id)).deployments;
    const marks = await markReferenced(storage, project.id, survivors);
    await phase("marked");
    if ("incomplete" in marks) {
      report.blobs.skipped = marks.incomplete;
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: "retention: blob sweep skipped",
          projectId: project.id,
          reason: marks.incomplete,
        }),
      );
      return report;
    }
    const cutoff = t0 - CLOCK_MARGIN_MS;
    const found = await findUnreferenced(deps, project.id, marks.hashes, {
      rows: cutoff,
      orphans: t0 - ORPHAN_AGE_MS,
    });
    if (dryRun || lease === null) {
      const all = [...found.rows, ...found.orphans];
      report.blobs = { deleted: all.length, bytes: all.reduce((sum, b) => sum + b.size, 0) };
      return report;
    }

    const rows = await deleteRows(db, project.id, found.rows, cutoff);
    await phase("blob-rows-deleted");
    // Renew before deleting objects: a sweep that outlived its lease leaves them to the next one, whose
    // orphan pass removes them once they are old enough.
    lease = await renewLease(db, project.id, lease, deps.now());
    if (lease === null) {
      report.blobs.skipped = "the sweep outlived its lease; the next sweep finishes";
      return report;
    }
    const hashes = [...rows.map((r) => r.hash), ...found.orphans.map((o) => o.hash)];
    await deleteObjects(storage, [
      ...rows.map((r) => storageKeys.blob(project.id, r.hash)),
      ...found.orphans.map((o) => o.key),
    ]);
    await phase("blobs-deleted");
    await recheckRows(deps, project.id, hashes);
    await phase("rechecked");
    report.blobs = {
      deleted: hashes.length,
      bytes: [...rows, ...found.orphans].reduce((sum, b) => sum + b.size, 0),
    };
    return report;
  } finally {
    if (lease !== null) await releaseLease(db, project.id, lease, t0);
  }
}

/** Projects a cron run sweeps at most, and how long since a project's last sweep before it is due again. */
const PROJECTS_PER_RUN = 10;
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** A cron run starts no new project after this long. */
const RUN_BUDGET_MS = 2 * 60 * 1000;

export interface PruneAllResult {
  swept: number;
  failed: number;
  deploymentsDeleted: number;
  blobsDeleted: number;
  bytesDeleted: number;
}

/**
 * The cron's share: the projects swept longest ago (never swept first), a bounded number per run. A project
 * whose sweep fails is logged and the others go on; one JSON line sums the run.
 */
export async function pruneAll(
  deps: Pick<Deps, "db" | "storage" | "now" | "routeEvents">,
): Promise<PruneAllResult> {
  const started = deps.now();
  const due = await deps.db
    .select()
    .from(projects)
    .where(or(isNull(projects.sweepUntil), lte(projects.sweepUntil, started - SWEEP_INTERVAL_MS)))
    .orderBy(asc(projects.sweepUntil), asc(projects.id))
    .limit(PROJECTS_PER_RUN)
    .all();
  const result: PruneAllResult = {
    swept: 0,
    failed: 0,
    deploymentsDeleted: 0,
    blobsDeleted: 0,
    bytesDeleted: 0,
  };
  for (const project of due) {
    if (deps.now() - started > RUN_BUDGET_MS) break;
    try {
      const report = await sweepProject(deps, project, {});
      if (!report) continue;
      result.swept++;
      result.deploymentsDeleted += report.deleted.length;
      result.blobsDeleted += report.blobs.deleted;
      result.bytesDeleted += report.blobs.bytes;
    } catch (error) {
      result.failed++;
      console.error(
        JSON.stringify({
          level: "error",
          msg: "retention: sweep failed",
          projectId: project.id,
          error: error instanceof Error ? error.message : String(error),
          stack: error instanceof Error ? error.stack : undefined,
        }),
      );
    }
  }
  console.log(JSON.stringify({ level: "info", msg: "retention", ...result }));
  return result;
}
