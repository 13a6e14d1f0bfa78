import { type DeploymentStatus, deployments, domains, projects, routes } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import { and, eq, inArray, lte, ne, or, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { chunk } from "../../lib/batch.ts";
import { ABANDONED_UPLOAD_MS, FINISHED_STATUSES, type PlanRoute } from "./plan.ts";
import { deleteObjects } from "./sweep-blobs.ts";

const IDS_PER_STATEMENT = 500;

export interface SweepDeployment {
  id: string;
  shortId: string;
  status: DeploymentStatus;
  environment: "production" | "preview";
  branch: string;
  createdAt: number;
}

/** What the plan needs from D1: the project's live deployments, its routes and its domains' pins. */
export async function readState(db: Deps["db"], projectId: string) {
  const [rows, routeRows, pinRows] = await Promise.all([
    db
      .select({
        id: deployments.id,
        shortId: deployments.shortId,
        status: deployments.status,
        environment: deployments.environment,
        branch: deployments.branch,
        createdAt: deployments.createdAt,
      })
      .from(deployments)
      .where(and(eq(deployments.projectId, projectId), ne(deployments.status, "deleted")))
      .all(),
    db
      .select({
        deploymentId: routes.deploymentId,
        kind: routes.kind,
        previousDeploymentId: routes.previousDeploymentId,
        previousUntil: routes.previousUntil,
      })
      .from(routes)
      .where(eq(routes.projectId, projectId))
      .all(),
    db
      .select({ deploymentId: domains.deploymentId })
      .from(domains)
      .where(eq(domains.projectId, projectId))
      .all(),
  ]);
  const pins = pinRows.flatMap((r) => (r.deploymentId === null ? [] : [r.deploymentId]));
  const live: SweepDeployment[] = rows;
  const routed: PlanRoute[] = routeRows;
  return { deployments: live, routes: routed, pins };
}

/**
 * Marks `ids` deleted in one statement per chunk, skipping any that became production, got a host other
 * than its own, a skew fallback still in force, or a domain pin since the plan was made. Answers the ids
 * actually deleted. Once deleted, the triggers of migration 0004 refuse to route or pin anything to them.
 */
export async function markDeleted(
  db: Deps["db"],
  projectId: string,
  ids: readonly string[],
  at: number,
): Promise<Set<string>> {
  const done = new Set<string>();
  for (const part of chunk(ids, IDS_PER_STATEMENT)) {
    const rows = await db
      .update(deployments)
      .set({ status: "deleted", deletedAt: at })
      .where(
        and(
          eq(deployments.projectId, projectId),
          sql`${deployments.id} in (select value from json_each(${JSON.stringify(part)}))`,
          or(
            inArray(deployments.status, [...FINISHED_STATUSES]),
            and(eq(deployments.status, "uploading"), lte(deployments.createdAt, at - ABANDONED_UPLOAD_MS)),
          ),
          sql`not exists (select 1 from ${projects} where ${projects.id} = ${deployments.projectId} and ${projects.productionDeploymentId} = ${deployments.id})`,
          sql`not exists (select 1 from ${routes} where ${routes.projectId} = ${deployments.projectId} and ${routes.kind} <> 'deployment' and (${routes.deploymentId} = ${deployments.id} or (${routes.previousDeploymentId} = ${deployments.id} and ${routes.previousUntil} > ${at})))`,
          sql`not exists (select 1 from ${domains} where ${domains.projectId} = ${deployments.projectId} and ${domains.deploymentId} = ${deployments.id})`,
        ),
      )
      .returning({ id: deployments.id });
    for (const row of rows) done.add(row.id);
  }
  return done;
}

/**
 * Deletes the stored files (manifest, rules, build log) of every deleted deployment of the project: those
 * deleted now and any an earlier sweep could not finish. Keys of deployments that are not deleted stay,
 * including a manifest stored just before its deployment row. Answers how many objects went.
 */
export async function deleteDeletedPrefixes(
  deps: Pick<Deps, "db" | "storage">,
  projectId: string,
  live: ReadonlySet<string>,
): Promise<number> {
  const prefix = `${storageKeys.project(projectId)}deployments/`;
  const byDeployment = new Map<string, string[]>();
  let cursor: string | undefined;
  do {
    const page = await deps.storage.list({ prefix, ...(cursor ? { cursor } : {}) });
    for (const object of page.objects) {
      const id = object.key.slice(prefix.length).split("/")[0] ?? "";
      if (id === "" || live.has(id)) continue;
      const keys = byDeployment.get(id) ?? [];
      keys.push(object.key);
      byDeployment.set(id, keys);
    }
    cursor = page.cursor;
  } while (cursor);
  const deleted = new Set<string>();
  for (const part of chunk([...byDeployment.keys()], IDS_PER_STATEMENT)) {
    const rows = await deps.db
      .select({ id: deployments.id })
      .from(deployments)
      .where(
        and(
          eq(deployments.projectId, projectId),
          eq(deployments.status, "deleted"),
          sql`${deployments.id} in (select value from json_each(${JSON.stringify(part)}))`,
        ),
      )
      .all();
    for (const row of rows) deleted.add(row.id);
  }
  const keys = [...deleted].flatMap((id) => byDeployment.get(id) ?? []);
  await deleteObjects(deps.storage, keys);
  return keys.length;
}
