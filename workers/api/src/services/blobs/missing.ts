import { blobs } from "@miaobu/db";
import { and, eq, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { chunk } from "../../lib/batch.ts";

// D1 binds at most 100 parameters per statement, so the hashes travel as one JSON array per chunk,
// read back with json_each. A chunk of 1,000 hashes is about 67 KB, well inside D1's value limits.
const HASHES_PER_QUERY = 1000;

/** The hashes among `hashes` that the project has no blob for yet, each once, in input order. */
export async function missingHashes(
  { db }: Pick<Deps, "db">,
  projectId: string,
  hashes: Iterable<string>,
): Promise<string[]> {
  const unique = [...new Set(hashes)];
  const present = new Set<string>();
  const results = await Promise.all(
    chunk(unique, HASHES_PER_QUERY).map((part) =>
      db
        .select({ hash: blobs.hash })
        .from(blobs)
        .where(
          and(
            eq(blobs.projectId, projectId),
            sql`${blobs.hash} in (select value from json_each(${JSON.stringify(part)}))`,
          ),
        )
        .all(),
    ),
  );
  for (const rows of results) for (const row of rows) present.add(row.hash);
  return unique.filter((hash) => !present.has(hash));
}
