import { blobs } from "@miaobu/db";
import { and, eq, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { chunk, runBatch } from "../../lib/batch.ts";
import type { ProjectRow } from "../projects/present.ts";

// As in blobs/missing.ts: the hashes travel as one JSON array per statement (D1 binds at most 100 values).
const HASHES_PER_STATEMENT = 1000;

/**
 * Records that a new deployment's manifest names `hashes`: a retention sweep that started before `at`
 * deletes none of them (sweep.ts explains the order). Call it after the deployment row and its manifest are
 * stored, before answering which blobs are missing.
 */
export async function touchBlobs(
  db: Deps["db"],
  projectId: string,
  hashes: Iterable<string>,
  at: number,
): Promise<void> {
  const unique = [...new Set(hashes)];
  await runBatch(
    db,
    chunk(unique, HASHES_PER_STATEMENT).map((part) =>
      db
        .update(blobs)
        .set({ referencedAt: at })
        .where(
          and(
            eq(blobs.projectId, projectId),
            sql`${blobs.hash} in (select value from json_each(${JSON.stringify(part)}))`,
          ),
        ),
    ),
  );
}

/** The message of the 503 a finalize (or an upload) gets while a sweep deletes the project's files. */
export const SWEEPING_MESSAGE =
  "A retention sweep is deleting this project's old files; try again in a few seconds.";

/**
 * 503 `unavailable` with `Retry-After` while a retention sweep of the project holds its lease (read from the
 * project row the caller already has, as of that read), so nothing is
 * uploaded or finalized on the strength of a blob the sweep is deleting. The sweep takes seconds; the CLI
 * and the builder retry a 503 on their own.
 */
export function assertNotSweeping(project: Pick<ProjectRow, "sweepUntil">, now: number): void {
  if (project.sweepUntil === null || project.sweepUntil <= now) return;
  // The lease's end is the latest the sweep can still be running; it usually ends within seconds.
  const seconds = Math.ceil((project.sweepUntil - now) / 1000);
  throw new ApiError("unavailable", SWEEPING_MESSAGE, {}, Math.min(5, Math.max(1, seconds)));
}
