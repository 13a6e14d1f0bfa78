import { deployments } from "@miaobu/db";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { findProject } from "../projects/find.ts";
import type { ProjectRow } from "../projects/present.ts";
import type { DeploymentRow } from "./present.ts";

export interface ListDeploymentsInput {
  limit: number;
  cursor?: string | undefined;
}

/** A page of a project's deployments, newest first; ids sort by time, so the last id is the cursor. */
export async function listDeployments(
  deps: Pick<Deps, "db">,
  ownerId: string,
  projectKey: string,
  { limit, cursor }: ListDeploymentsInput,
): Promise<{ project: ProjectRow; rows: DeploymentRow[]; nextCursor: string | null }> {
  const project = await findProject(deps, ownerId, projectKey);
  const rows = await deps.db
    .select()
    .from(deployments)
    .where(and(eq(deployments.projectId, project.id), cursor ? lt(deployments.id, cursor) : undefined))
    .orderBy(desc(deployments.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { project, rows: page, nextCursor: rows.length > limit && last ? last.id : null };
}
