import type { RouteRow } from "@miaobu/db";
import { deployments, projects, routes } from "@miaobu/db";
import { productionHost } from "@miaobu/shared";
import { and, eq, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Deps } from "../../env.ts";
import { runBatch } from "../../lib/batch.ts";
import { followProductionStatement } from "../domains/routing.ts";
import type { ProjectRow } from "../projects/present.ts";
import { watchRoutes } from "../route-events/announce.ts";
import type { DeploymentRow } from "./present.ts";

/**
 * Points a hostname at a deployment. A deployment's own host is permanent, so a branch alias that happens
 * to spell the same name never takes it over. With `onlyIfNewer`, a route already on a newer deployment
 * stays there (ids sort by creation time), so a slow upload finishing late cannot undo a newer one.
 */
export function upsertRoute(
  db: Deps["db"],
  row: RouteRow,
  onlyIfNewer = false,
  previousUntil?: number,
): BatchItem<"sqlite"> {
  // With `previousUntil` (production), the deployment the host leaves keeps answering for files the new one
  // lacks until then (version skew). SQLite evaluates these against the row before the update.
  const moved = sql`${routes.deploymentId} <> excluded.deployment_id`;
  const previous =
    previousUntil === undefined
      ? {}
      : {
          previousDeploymentId: sql`case when ${moved} then ${routes.deploymentId} else ${routes.previousDeploymentId} end`,
          previousUntil: sql`case when ${moved} then ${previousUntil} else ${routes.previousUntil} end`,
        };
  return db
    .insert(routes)
    .values(row)
    .onConflictDoUpdate({
      target: routes.hostname,
      set: {
        projectId: row.projectId,
        deploymentId: row.deploymentId,
        kind: row.kind,
        branch: row.branch ?? null,
        updatedAt: row.updatedAt,
        ...previous,
      },
      setWhere: and(
        ne(routes.kind, "deployment"),
        eq(routes.projectId, row.projectId),
        onlyIfNewer ? lt(routes.deploymentId, row.deploymentId) : undefined,
      ),
    });
}

/**
 * The statements that make a deployment production: project host, custom domains, project row, and the deployment's
 * `promoted_at` (set only if it did become production). `onlyIfNewer` as for `upsertRoute`.
 */
export function productionStatements(
  db: Deps["db"],
  config: Deps["config"],
  project: ProjectRow,
  deployment: DeploymentRow,
  at: number,
  onlyIfNewer = false,
): BatchItem<"sqlite">[] {
  const previousUntil = at + project.skewProtectionDays * 24 * 60 * 60 * 1000;
  return [
    upsertRoute(
      db,
      {
        hostname: productionHost(project.slug, config.sitesBase),
        projectId: project.id,
        deploymentId: deployment.id,
        kind: "production",
        branch: null,
        updatedAt: at,
      },
      onlyIfNewer,
      previousUntil,
    ),
    // Verified custom domains that follow production move with it.
    followProductionStatement(db, project.id, deployment.id, at, previousUntil, onlyIfNewer),
    db
      .update(projects)
      .set({ productionDeploymentId: deployment.id, updatedAt: at })
      .where(
        and(
          eq(projects.id, project.id),
          onlyIfNewer
            ? or(isNull(projects.productionDeploymentId), lt(projects.productionDeploymentId, deployment.id))
            : undefined,
        ),
      ),
    db
      .update(deployments)
      .set({ promotedAt: at })
      .where(
        and(
          eq(deployments.id, deployment.id),
          eq(deployments.projectId, project.id),
          sql`exists (select 1 from ${projects} where ${projects.id} = ${project.id} and ${projects.productionDeploymentId} = ${deployment.id})`,
        ),
      ),
  ];
}

/** Makes a ready deployment production in one batch; nothing is copied. */
export async function makeProduction(
  deps: Pick<Deps, "db" | "config" | "now" | "routeEvents">,
  project: ProjectRow,
  deployment: DeploymentRow,
): Promise<{ project: ProjectRow; deployment: DeploymentRow }> {
  const at = deps.now();
  const announce = await watchRoutes(deps, project.id);
  await runBatch(deps.db, productionStatements(deps.db, deps.config, project, deployment, at));
  await announce();
  return {
    project: { ...project, productionDeploymentId: deployment.id, updatedAt: at },
    deployment: { ...deployment, promotedAt: at },
  };
}
