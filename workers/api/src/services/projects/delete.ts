import { blobs, deployments, projects, routes } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { watchRoutes } from "../route-events/announce.ts";
import { findProject } from "./find.ts";

/** Deletes every object under `prefix`, one listing page (up to 1,000 keys) at a time. */
export async function deletePrefix(storage: Storage, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await storage.list({ prefix, limit: 1000, ...(cursor ? { cursor } : {}) });
    if (page.objects.length > 0) await storage.delete(page.objects.map((o) => o.key));
    deleted += page.objects.length;
    cursor = page.cursor;
  } while (cursor);
  return deleted;
}

/**
 * Deletes a project with its deployments, routes and stored files. The routes go first, so the site stops
 * answering at once; the project row goes last, so a failure part-way can be retried with the same call.
 */
export async function deleteProject(
  deps: Pick<Deps, "db" | "storage" | "routeEvents">,
  ownerId: string,
  idOrName: string,
): Promise<void> {
  const { db, storage } = deps;
  const project = await findProject(deps, ownerId, idOrName);
  const announce = await watchRoutes(deps, project.id);
  await db.delete(routes).where(eq(routes.projectId, project.id));
  await announce();
  await deletePrefix(storage, storageKeys.project(project.id));
  await db.batch([
    db.delete(blobs).where(eq(blobs.projectId, project.id)),
    db.delete(deployments).where(eq(deployments.projectId, project.id)),
    db.delete(projects).where(and(eq(projects.id, project.id), eq(projects.ownerId, ownerId))),
  ]);
}
