import { domains, routes } from "@miaobu/db";
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Deps } from "../../env.ts";
import type { DomainRow } from "./present.ts";

/**
 * Points a verified domain's host at `deploymentId`. A row of another project is never taken over (the
 * domain checks refuse a hostname another tenant has verified, this is the last line).
 */
export function domainRouteStatement(
  db: Deps["db"],
  row: Pick<DomainRow, "hostname" | "projectId">,
  deploymentId: string,
  at: number,
): BatchItem<"sqlite"> {
  return db
    .insert(routes)
    .values({ hostname: row.hostname, projectId: row.projectId, deploymentId, kind: "custom", updatedAt: at })
    .onConflictDoUpdate({
      target: routes.hostname,
      set: { deploymentId, kind: "custom", branch: null, updatedAt: at },
      setWhere: and(eq(routes.projectId, row.projectId), eq(routes.kind, "custom")),
    });
}

/** Stops serving a domain's host. */
export function dropDomainRoute(
  db: Deps["db"],
  row: Pick<DomainRow, "hostname" | "projectId">,
): BatchItem<"sqlite"> {
  return db
    .delete(routes)
    .where(
      and(eq(routes.hostname, row.hostname), eq(routes.projectId, row.projectId), eq(routes.kind, "custom")),
    );
}

/**
 * Moves every verified, unpinned domain of a project to its new production deployment, in the promotion's
 * batch. With `onlyIfNewer`, a host already on a newer deployment stays. The previous deployment keeps
 * answering for missing files until `previousUntil`, as on the project host.
 */
export function followProductionStatement(
  db: Deps["db"],
  projectId: string,
  deploymentId: string,
  at: number,
  previousUntil: number,
  onlyIfNewer: boolean,
): BatchItem<"sqlite"> {
  const moved = sql`${routes.deploymentId} <> excluded.deployment_id`;
  return db
    .insert(routes)
    .select(
      db
        .select({
          hostname: domains.hostname,
          projectId: domains.projectId,
          deploymentId: sql<string>`${deploymentId}`.as("deployment_id"),
          kind: sql<"custom">`'custom'`.as("kind"),
          branch: sql<null>`null`.as("branch"),
          previousDeploymentId: sql<null>`null`.as("previous_deployment_id"),
          previousUntil: sql<null>`null`.as("previous_until"),
          updatedAt: sql<number>`${at}`.as("updated_at"),
        })
        .from(domains)
        .where(
          and(eq(domains.projectId, projectId), eq(domains.status, "verified"), isNull(domains.deploymentId)),
        ),
    )
    .onConflictDoUpdate({
      target: routes.hostname,
      set: {
        deploymentId: sql`excluded.deployment_id`,
        previousDeploymentId: sql`case when ${moved} then ${routes.deploymentId} else ${routes.previousDeploymentId} end`,
        previousUntil: sql`case when ${moved} then ${previousUntil} else ${routes.previousUntil} end`,
        updatedAt: at,
      },
      setWhere: and(
        eq(routes.projectId, projectId),
        eq(routes.kind, "custom"),
        onlyIfNewer ? lt(routes.deploymentId, deploymentId) : undefined,
      ),
    });
}
