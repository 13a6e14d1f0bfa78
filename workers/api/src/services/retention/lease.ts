import { projects } from "@miaobu/db";
import { and, eq, isNull, lte, or } from "drizzle-orm";
import type { Deps } from "../../env.ts";

/** How long a sweep may run before another may start; a sweep renews it before it deletes blobs. */
export const LEASE_MS = 10 * 60 * 1000;

/**
 * Takes the project's sweep lease (`projects.sweep_until`) unless another sweep holds it; answers the
 * lease's end, which identifies it for renewal and release, or null.
 */
export async function acquireLease(db: Deps["db"], projectId: string, now: number): Promise<number | null> {
  const until = now + LEASE_MS;
  const rows = await db
    .update(projects)
    .set({ sweepUntil: until })
    .where(and(eq(projects.id, projectId), or(isNull(projects.sweepUntil), lte(projects.sweepUntil, now))))
    .returning({ id: projects.id });
  return rows.length > 0 ? until : null;
}

/** Extends a lease this sweep still holds; null when it expired and may belong to another sweep now. */
export async function renewLease(
  db: Deps["db"],
  projectId: string,
  held: number,
  now: number,
): Promise<number | null> {
  const until = Math.max(now + LEASE_MS, held + 1);
  const rows = await db
    .update(projects)
    .set({ sweepUntil: until })
    .where(and(eq(projects.id, projectId), eq(projects.sweepUntil, held)))
    .returning({ id: projects.id });
  return rows.length > 0 ? until : null;
}

/** Ends a lease this sweep holds, leaving when the sweep started (the cron sweeps the oldest first). */
export async function releaseLease(
  db: Deps["db"],
  projectId: string,
  held: number,
  startedAt: number,
): Promise<void> {
  await db
    .update(projects)
    .set({ sweepUntil: startedAt })
    .where(and(eq(projects.id, projectId), eq(projects.sweepUntil, held)));
}
