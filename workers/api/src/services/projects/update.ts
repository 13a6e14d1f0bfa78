import { projects } from "@miaobu/db";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { findProject } from "./find.ts";
import type { ProjectRow } from "./present.ts";

export interface UpdateProjectInput {
  productionBranch?: string | undefined;
}

/** Changes a project's settings; routes move only at the next deployment or promotion. */
export async function updateProject(
  deps: Pick<Deps, "db" | "now">,
  ownerId: string,
  idOrName: string,
  input: UpdateProjectInput,
): Promise<ProjectRow> {
  const project = await findProject(deps, ownerId, idOrName);
  if (input.productionBranch === undefined) return project;
  const updatedAt = deps.now();
  await deps.db
    .update(projects)
    .set({ productionBranch: input.productionBranch, updatedAt })
    .where(and(eq(projects.id, project.id), eq(projects.ownerId, ownerId)));
  return { ...project, productionBranch: input.productionBranch, updatedAt };
}
