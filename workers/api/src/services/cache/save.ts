import { deployments, projects } from "@miaobu/db";
import type { Storage } from "@miaobu/storage";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { deleteObjects, listCacheObjects } from "./objects.ts";

/**
 * 409 when the project's cache was cleared after this build started: it may have restored what the user
 * cleared, so its cache must not come back as a new archive. A build without cache restored nothing.
 */
export async function checkCacheSave({ db }: Pick<Deps, "db">, deploymentId: string): Promise<void> {
  const row = await db
    .select({
      startedAt: deployments.startedAt,
      skipCache: deployments.skipCache,
      clearedAt: projects.cacheClearedAt,
    })
    .from(deployments)
    .innerJoin(projects, eq(projects.id, deployments.projectId))
    .where(eq(deployments.id, deploymentId))
    .get();
  if (!row || row.skipCache || row.clearedAt === null) return;
  if (row.startedAt === null || row.startedAt <= row.clearedAt) {
    throw new ApiError(
      "conflict",
      "The project's build cache was cleared after this build started; its cache is not kept.",
    );
  }
}

/**
 * Keeps the project's cache archives within `limit` bytes in all: deletes the oldest (by upload time)
 * until the rest fit, never `keep` (the archive just stored), which alone may be up to the limit.
 */
export async function evictOldArchives(
  storage: Storage,
  projectId: string,
  keep: string,
  limit: number,
): Promise<{ deleted: number; bytes: number }> {
  const objects = await listCacheObjects(storage, projectId);
  let total = objects.reduce((sum, o) => sum + o.size, 0);
  const oldestFirst = objects
    .filter((o) => o.key !== keep)
    .sort((a, b) => a.uploaded - b.uploaded || a.key.localeCompare(b.key));
  const doomed = [];
  for (const object of oldestFirst) {
    if (total <= limit) break;
    doomed.push(object);
    total -= object.size;
  }
  return deleteObjects(storage, doomed);
}
