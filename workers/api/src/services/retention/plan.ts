import type { DeploymentStatus, Environment, RouteKind } from "@miaobu/db";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Statuses a deployment never leaves on its own (besides `deleted`): only these may be deleted. */
export const FINISHED_STATUSES = ["ready", "failed", "canceled", "superseded"] as const;

/**
 * An upload still `uploading` this long after it was created was abandoned (a deploy interrupted with
 * Ctrl-C, a lost laptop): it may be deleted like a finished one, so its files do not stay forever. Builds
 * never wait this long: the coordinator's watchdog fails a silent build within a minute.
 */
export const ABANDONED_UPLOAD_MS = DAY_MS;

/** Whether retention may delete a deployment of this status and age at all. */
export function isSettled(d: { status: DeploymentStatus; createdAt: number }, now: number): boolean {
  if ((FINISHED_STATUSES as readonly string[]).includes(d.status)) return true;
  return d.status === "uploading" && d.createdAt <= now - ABANDONED_UPLOAD_MS;
}

/** Why a deployment is kept, in the order the plan checks. */
export type KeepReason =
  | "production"
  | "routed"
  | "pinned"
  | "skew"
  | "unfinished"
  | "recent"
  | "newest-production"
  | "newest-preview";

export interface PlanDeployment {
  id: string;
  status: DeploymentStatus;
  environment: Environment;
  createdAt: number;
}

export interface PlanRoute {
  deploymentId: string;
  kind: RouteKind;
  previousDeploymentId: string | null;
  previousUntil: number | null;
}

export interface PlanInput {
  project: {
    productionDeploymentId: string | null;
    retainProduction: number;
    retainPreview: number;
    retainDays: number;
  };
  deployments: readonly PlanDeployment[];
  routes: readonly PlanRoute[];
  /** Deployments a custom domain is pinned to, served or not (a pending domain is pinned before it serves). */
  pins: readonly string[];
  now: number;
}

export interface RetentionPlan {
  keep: Map<string, KeepReason>;
  /** Deployments to delete, newest first; deployments already deleted are in neither list. */
  delete: string[];
}

const newestFirst = (a: PlanDeployment, b: PlanDeployment) =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Which deployments of a project retention keeps and which it deletes (docs/retention.md). Kept: production,
 * anything a host other than its own points at (aliases, custom domains, a skew fallback still in force),
 * pinned ones, unfinished ones (an upload abandoned for a day is not unfinished), those younger than `retainDays`, and the newest `retainProduction` ready
 * production and `retainPreview` ready preview deployments. Everything else not already deleted goes.
 */
export function planRetention(input: PlanInput): RetentionPlan {
  const { project, now } = input;
  const keep = new Map<string, KeepReason>();
  const mark = (id: string | null, reason: KeepReason) => {
    if (id !== null && !keep.has(id)) keep.set(id, reason);
  };
  mark(project.productionDeploymentId, "production");
  for (const route of input.routes) {
    // A deployment's own host points at it forever; that alone keeps nothing.
    if (route.kind === "deployment") continue;
    mark(route.deploymentId, "routed");
  }
  for (const id of input.pins) mark(id, "pinned");
  for (const route of input.routes) {
    if (route.kind !== "deployment" && route.previousUntil !== null && route.previousUntil > now) {
      mark(route.previousDeploymentId, "skew");
    }
  }
  const live = input.deployments.filter((d) => d.status !== "deleted");
  const youngAfter = now - project.retainDays * DAY_MS;
  for (const d of live) {
    if (!isSettled(d, now)) mark(d.id, "unfinished");
    else if (d.createdAt > youngAfter) mark(d.id, "recent");
  }
  const ready = live.filter((d) => d.status === "ready").sort(newestFirst);
  const newest = (environment: Environment, count: number, reason: KeepReason) => {
    for (const d of ready.filter((r) => r.environment === environment).slice(0, count)) mark(d.id, reason);
  };
  newest("production", project.retainProduction, "newest-production");
  newest("preview", project.retainPreview, "newest-preview");

  const present = new Set(live.map((d) => d.id));
  for (const id of [...keep.keys()]) if (!present.has(id)) keep.delete(id);
  const doomed = live
    .filter((d) => !keep.has(d.id))
    .sort(newestFirst)
    .map((d) => d.id);
  return { keep, delete: doomed };
}
