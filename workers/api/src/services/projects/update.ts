import { projects } from "@miaobu/db";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { findProject } from "./find.ts";
import type { ProjectRow } from "./present.ts";
import { type ProjectSettingsInput, settingsColumns } from "./settings.ts";

export type UpdateProjectInput = ProjectSettingsInput;

/** Changes a project's settings; routes move only at the next deployment or promotion. */
export async function updateProject(
  deps: Pick<Deps, "db" | "now">,
  ownerId: string,
  idOrName: string,
  input: UpdateProjectInput,
): Promise<ProjectRow> {
  const project = await findProject(deps, ownerId, idOrName);
  const columns = await settingsColumns(input);
  if (Object.keys(columns).length === 0) return project;
  const updatedAt = deps.now();
  await deps.db
    .update(projects)
    .set({ ...columns, updatedAt })
    .where(and(eq(projects.id, project.id), eq(projects.ownerId, ownerId)));
  return { ...project, ...columns, updatedAt };
}
