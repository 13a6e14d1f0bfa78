import type { ProjectSettingsInput } from "@miaobu/contract";
import { projects } from "@miaobu/db";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { watchRoutes } from "../route-events/announce.ts";
import { findProject } from "./find.ts";
import type { ProjectRow } from "./present.ts";
import { settingsColumns } from "./settings.ts";

export type UpdateProjectInput = ProjectSettingsInput;

/**
 * Changes a project's settings; routes move only at the next deployment or promotion, but every host
 * carries the serving settings, so the router is told to read them again.
 */
export async function updateProject(
  deps: Pick<Deps, "db" | "now" | "routeEvents">,
  ownerId: string,
  idOrName: string,
  input: UpdateProjectInput,
): Promise<ProjectRow> {
  const project = await findProject(deps, ownerId, idOrName);
  const columns = await settingsColumns(input);
  if (Object.keys(columns).length === 0) return project;
  const updatedAt = deps.now();
  const announce = await watchRoutes(deps, project.id);
  await deps.db
    .update(projects)
    .set({ ...columns, updatedAt })
    .where(and(eq(projects.id, project.id), eq(projects.ownerId, ownerId)));
  await announce();
  return { ...project, ...columns, updatedAt };
}
