import { projects } from "@miaobu/db";
import { and, eq, or } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { notFound } from "../../errors.ts";
import type { ProjectRow } from "./present.ts";

/** The owner's project by id or name; 404 for anyone else's, exactly as for one that does not exist. */
export async function findProject(
  { db }: Pick<Deps, "db">,
  ownerId: string,
  idOrName: string,
): Promise<ProjectRow> {
  const key = idOrName.trim().toLowerCase();
  const row = await db
    .select()
    .from(projects)
    .where(and(eq(projects.ownerId, ownerId), or(eq(projects.id, key), eq(projects.slug, key))))
    .get();
  if (!row) throw notFound("project");
  return row;
}
