import { apiTokens, type TokenScope, users } from "@miaobu/db";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { AuthUser, Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { sha256Hex } from "../../lib/crypto.ts";
import { parseScopes } from "./scopes.ts";

// Recording every use would write on every request; a minute of precision is plenty.
const LAST_USED_PRECISION_MS = 60_000;

/** The user an API token belongs to; 401 when it is unknown, revoked or expired. */
export async function authenticateToken(
  { db, now }: Pick<Deps, "db" | "now">,
  token: string,
): Promise<{ user: AuthUser; tokenId: string; scopes: TokenScope[] }> {
  const unknown = new ApiError("unauthorized", "The token is unknown or revoked; run `miaobu login`.");
  if (!token.startsWith("mb_") || token.length > 200) throw unknown;
  const tokenHash = await sha256Hex(token);
  const row = await db
    .select({
      tokenId: apiTokens.id,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      scopes: apiTokens.scopes,
      id: users.id,
      email: users.email,
      name: users.name,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash))
    .get();
  if (!row || row.revokedAt !== null) throw unknown;
  const at = now();
  if (row.expiresAt <= at) {
    throw new ApiError(
      "token_expired",
      `The token expired at ${new Date(row.expiresAt).toISOString()}; run \`miaobu login\` to get a new one.`,
    );
  }
  await db
    .update(apiTokens)
    .set({ lastUsedAt: at })
    .where(
      and(
        eq(apiTokens.id, row.tokenId),
        or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, at - LAST_USED_PRECISION_MS)),
      ),
    );
  return {
    user: { id: row.id, email: row.email, name: row.name },
    tokenId: row.tokenId,
    scopes: parseScopes(row.scopes),
  };
}
