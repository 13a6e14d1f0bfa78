import { projects } from "@miaobu/db";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { findProject } from "../projects/find.ts";
import type { ProjectRow } from "../projects/present.ts";
import { deleteObjects, listCacheObjects } from "./objects.ts";

/** What clearing a project's build cache did. */
export interface ClearedCache {
  project: ProjectRow;
  clearedAt: number;
  /** Archives deleted from storage, and their bytes. */
  archives: { deleted: number; bytes: number };
}

/**
 * Clears the owner's project's build cache: records when (every later build request carries it, and
 * builders ignore whatever they kept from before, on their own disks too), then deletes the archives in
 * storage. The time goes first, so a failure part-way already stops every restore and a retry finishes.
 */
export async function clearBuildCache(
  deps: Pick<Deps, "db" | "storage" | "now">,
  ownerId: string,
  projectKey: string,
): Promise<ClearedCache> {
  const { db, storage } = deps;
  const found = await findProject(deps, ownerId, projectKey);
  const clearedAt = deps.now();
  await db
    .update(projects)
    .set({ cacheClearedAt: clearedAt })
    .where(and(eq(projects.id, found.id), eq(projects.ownerId, ownerId)));
  const archives = await deleteObjects(storage, await listCacheObjects(storage, found.id));
  return { project: { ...found, cacheClearedAt: clearedAt }, clearedAt, archives };
}
