import { apiTokens } from "@miaobu/db";
import { and, eq, isNull } from "drizzle-orm";
import type { Deps } from "../../env.ts";

/** Revokes one of the user's tokens; revoking twice changes nothing. */
export async function revokeToken(
  { db, now }: Pick<Deps, "db" | "now">,
  userId: string,
  tokenId: string,
): Promise<void> {
  await db
    .update(apiTokens)
    .set({ revokedAt: now() })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
}
