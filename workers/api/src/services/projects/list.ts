import { projects } from "@miaobu/db";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { ProjectRow } from "./present.ts";

export interface ListProjectsInput {
  limit: number;
  cursor?: string | undefined;
}

/** A page of the owner's projects, newest first; ids sort by time, so the last id is the cursor. */
export async function listProjects(
  { db }: Pick<Deps, "db">,
  ownerId: string,
  { limit, cursor }: ListProjectsInput,
): Promise<{ rows: ProjectRow[]; nextCursor: string | null }> {
  const rows = await db
    .select()
    .from(projects)
    .where(and(eq(projects.ownerId, ownerId), cursor ? lt(projects.id, cursor) : undefined))
    .orderBy(desc(projects.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? last.id : null };
}
