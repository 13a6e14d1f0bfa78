import type { BatchItem } from "drizzle-orm/batch";
import type { DrizzleD1Database } from "drizzle-orm/d1";

/** `db.batch()` for a list built at run time; an empty list does nothing. */
export async function runBatch(db: DrizzleD1Database, items: BatchItem<"sqlite">[]): Promise<void> {
  const [first, ...rest] = items;
  if (first === undefined) return;
  await db.batch([first, ...rest]);
}

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
