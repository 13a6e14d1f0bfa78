import { projects } from "@miaobu/db";
import { desc, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { ProjectRow } from "./present.ts";

/** The owner's projects, newest first. */
export async function listProjects({ db }: Pick<Deps, "db">, ownerId: string): Promise<ProjectRow[]> {
  return db.select().from(projects).where(eq(projects.ownerId, ownerId)).orderBy(desc(projects.id)).all();
}
