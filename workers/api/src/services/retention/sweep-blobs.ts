import { blobs } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import { MAX_DELETE_KEYS, type Storage } from "@miaobu/storage";
import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { chunk } from "../../lib/batch.ts";

const ROWS_PER_PAGE = 5000;
const HASHES_PER_STATEMENT = 1000;
const PARALLEL_HEADS = 8;

// A blob object is named by its hash; `.br`/`.gz` suffixes are the layout's older variant names.
const BLOB_NAME = /^([0-9a-f]{64})(?:\.(?:br|gz))?$/;

/** The sweep's cut-offs: only what was recorded, touched or stored before them can go. */
export interface Cutoffs {
  /** For D1 rows: both `created_at` and `referenced_at` must be older. */
  rows: number;
  /** For objects without a D1 row (an upload that stored the body and failed before recording it). */
  orphans: number;
}

/** What the sweep would delete: recorded blobs no kept manifest names, and unrecorded objects. */
export interface Unreferenced {
  rows: { hash: string; size: number }[];
  orphans: { key: string; hash: string; size: number }[];
}

/** Blobs of a project that nothing in `marked` names and that are older than the cut-offs; reads only. */
export async function findUnreferenced(
  deps: Pick<Deps, "db" | "storage">,
  projectId: string,
  marked: ReadonlySet<string>,
  cutoffs: Cutoffs,
): Promise<Unreferenced> {
  const known = new Set<string>();
  const rows: Unreferenced["rows"] = [];
  for (let after = ""; ; ) {
    const page = await deps.db
      .select({
        hash: blobs.hash,
        size: blobs.size,
        createdAt: blobs.createdAt,
        referencedAt: blobs.referencedAt,
      })
      .from(blobs)
      .where(and(eq(blobs.projectId, projectId), gt(blobs.hash, after)))
      .orderBy(asc(blobs.hash))
      .limit(ROWS_PER_PAGE)
      .all();
    for (const row of page) {
      known.add(row.hash);
      const old = row.createdAt < cutoffs.rows && row.referencedAt < cutoffs.rows;
      if (old && !marked.has(row.hash)) rows.push({ hash: row.hash, size: row.size });
    }
    const last = page.at(-1);
    if (!last || page.length < ROWS_PER_PAGE) break;
    after = last.hash;
  }
  const orphans: Unreferenced["orphans"] = [];
  const prefix = storageKeys.blobs(projectId);
  let cursor: string | undefined;
  do {
    const page = await deps.storage.list({ prefix, ...(cursor ? { cursor } : {}) });
    for (const object of page.objects) {
      const name = object.key.slice(prefix.length);
      const hash = BLOB_NAME.exec(name)?.[1];
      // Anything not named like a blob is not the sweep's to judge.
      if (hash === undefined || known.has(name) || marked.has(hash)) continue;
      if (object.uploaded < cutoffs.orphans) orphans.push({ key: object.key, hash, size: object.size });
    }
    cursor = page.cursor;
  } while (cursor);
  return { rows, orphans };
}

/** What a sweep deleted. */
export interface SweptBlobs {
  /** Hashes whose row (and object) went, or whose orphan object went. */
  hashes: string[];
  count: number;
  bytes: number;
}

/**
 * Deletes the rows of `rows` still untouched since `cutoff` (a new manifest may have named one since it was
 * found), answering which went. The objects are deleted afterwards, by `deleteObjects`.
 */
export async function deleteRows(
  db: Deps["db"],
  projectId: string,
  rows: readonly { hash: string }[],
  cutoff: number,
): Promise<{ hash: string; size: number }[]> {
  const out: { hash: string; size: number }[] = [];
  for (const part of chunk(
    rows.map((r) => r.hash),
    HASHES_PER_STATEMENT,
  )) {
    const deleted = await db
      .delete(blobs)
      .where(
        and(
          eq(blobs.projectId, projectId),
          sql`${blobs.hash} in (select value from json_each(${JSON.stringify(part)}))`,
          lt(blobs.referencedAt, cutoff),
          lt(blobs.createdAt, cutoff),
        ),
      )
      .returning({ hash: blobs.hash, size: blobs.size });
    out.push(...deleted);
  }
  return out;
}

/** Deletes objects, at most 1,000 keys per call. */
export async function deleteObjects(storage: Storage, keys: readonly string[]): Promise<void> {
  for (const part of chunk(keys, MAX_DELETE_KEYS)) await storage.delete(part);
}

/**
 * After the objects are gone: a row of one of `hashes` that exists again was re-recorded by an upload that
 * raced the sweep. If its object is gone too (the upload stored it before the sweep deleted it), the row
 * is deleted so that finalize reports the blob missing and the client uploads it again. Answers how many.
 */
export async function recheckRows(
  deps: Pick<Deps, "db" | "storage">,
  projectId: string,
  hashes: readonly string[],
): Promise<number> {
  const back: string[] = [];
  for (const part of chunk(hashes, HASHES_PER_STATEMENT)) {
    const rows = await deps.db
      .select({ hash: blobs.hash })
      .from(blobs)
      .where(
        and(
          eq(blobs.projectId, projectId),
          sql`${blobs.hash} in (select value from json_each(${JSON.stringify(part)}))`,
        ),
      )
      .all();
    back.push(...rows.map((r) => r.hash));
  }
  const gone: string[] = [];
  for (const part of chunk(back, PARALLEL_HEADS)) {
    const heads = await Promise.all(part.map((h) => deps.storage.head(storageKeys.blob(projectId, h))));
    part.forEach((hash, i) => {
      if (heads[i] === null) gone.push(hash);
    });
  }
  for (const part of chunk(gone, HASHES_PER_STATEMENT)) {
    await deps.db
      .delete(blobs)
      .where(
        and(
          eq(blobs.projectId, projectId),
          sql`${blobs.hash} in (select value from json_each(${JSON.stringify(part)}))`,
        ),
      );
  }
  return gone.length;
}
