import type { BatchItem } from "drizzle-orm/batch";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { ApiError } from "../errors.ts";

/**
 * Whether `error` (or one it wraps) is the abort of the `deployment_deleted` triggers
 * (migrations/0004_retention.sql): a write tried to route a host, or pin a domain, to a deployment that
 * retention deleted meanwhile.
 */
export function isDeploymentDeletedError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.message.includes("deployment_deleted")) return true;
  }
  return false;
}

/**
 * `db.batch()` for a list built at run time; an empty list does nothing. A batch that would point a host at
 * a deployment retention deleted meanwhile changes nothing and answers 409.
 */
export async function runBatch(db: DrizzleD1Database, items: BatchItem<"sqlite">[]): Promise<void> {
  const [first, ...rest] = items;
  if (first === undefined) return;
  try {
    await db.batch([first, ...rest]);
  } catch (error) {
    if (!isDeploymentDeletedError(error)) throw error;
    throw new ApiError(
      "conflict",
      "This deployment was deleted by the project's retention policy, so nothing can point at it any more. Deploy again, or pick a deployment that still exists.",
    );
  }
}

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
