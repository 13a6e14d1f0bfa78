import { users } from "@miaobu/db";
import { and, eq, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import journal from "../../../migrations/meta/_journal.json";

/** The newest migration file, as wrangler and the local platform record it in `d1_migrations`. */
export const LATEST_MIGRATION = `${journal.entries.at(-1)?.tag ?? ""}.sql`;

/** What "ready" means for this deployment. */
export interface Readiness {
  /** A migration file name that must be recorded as applied. */
  migration: string;
  /** An administrator that must exist; empty when none is created by the platform. */
  adminEmail: string;
}

/** True once the migration is applied and the administrator (if any is expected) exists. */
export async function databaseReady(db: DrizzleD1Database, expected: Readiness): Promise<boolean> {
  try {
    const applied = await db.get<{ name: string } | undefined>(
      sql`select name from d1_migrations where name = ${expected.migration}`,
    );
    if (!applied) return false;
    if (expected.adminEmail === "") return true;
    const admin = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.email, expected.adminEmail), eq(users.isAdmin, true)))
      .get();
    return admin !== undefined;
  } catch {
    // No `d1_migrations` or `users` table yet: the very first moments of a new database.
    return false;
  }
}
