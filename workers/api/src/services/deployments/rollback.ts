import { deployments } from "@miaobu/db";
import { and, desc, eq, isNotNull, ne } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { findProject } from "../projects/find.ts";
import type { ProjectRow } from "../projects/present.ts";
import { findDeployment } from "./find.ts";
import type { DeploymentRow } from "./present.ts";
import { makeProduction } from "./routes.ts";

/**
 * Points production at `deploymentId`, or by default at the ready deployment that was production most
 * recently before the current one. 409 when there is none.
 */
export async function rollbackProject(
  deps: Pick<Deps, "db" | "now" | "config" | "routeEvents">,
  ownerId: string,
  projectKey: string,
  deploymentId?: string,
): Promise<{ project: ProjectRow; deployment: DeploymentRow }> {
  const project = await findProject(deps, ownerId, projectKey);
  let target: DeploymentRow | undefined;
  if (deploymentId !== undefined) {
    target = (await findDeployment(deps, ownerId, deploymentId, project.id)).deployment;
    if (target.status !== "ready") {
      throw new ApiError(
        "conflict",
        `The deployment is ${target.status}; only a ready one can serve production.`,
      );
    }
  } else {
    target = await deps.db
      .select()
      .from(deployments)
      .where(
        and(
          eq(deployments.projectId, project.id),
          eq(deployments.status, "ready"),
          isNotNull(deployments.promotedAt),
          project.productionDeploymentId ? ne(deployments.id, project.productionDeploymentId) : undefined,
        ),
      )
      .orderBy(desc(deployments.promotedAt), desc(deployments.id))
      .limit(1)
      .get();
    if (!target) {
      throw new ApiError("conflict", "There is no earlier production deployment to roll back to.");
    }
  }
  return makeProduction(deps, project, target);
}
