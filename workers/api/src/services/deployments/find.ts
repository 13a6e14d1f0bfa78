import { deployments, projects } from "@miaobu/db";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { notFound } from "../../errors.ts";
import type { ProjectRow } from "../projects/present.ts";
import type { DeploymentRow } from "./present.ts";

/** The owner's deployment with its project; 404 for anyone else's. */
export async function findDeployment(
  { db }: Pick<Deps, "db">,
  ownerId: string,
  deploymentId: string,
  projectId?: string,
): Promise<{ deployment: DeploymentRow; project: ProjectRow }> {
  const row = await db
    .select({ deployment: deployments, project: projects })
    .from(deployments)
    .innerJoin(projects, eq(projects.id, deployments.projectId))
    .where(
      and(
        eq(deployments.id, deploymentId),
        eq(projects.ownerId, ownerId),
        projectId === undefined ? undefined : eq(projects.id, projectId),
      ),
    )
    .get();
  if (!row) throw notFound("deployment");
  return row;
}
