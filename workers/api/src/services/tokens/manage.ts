import type { TokenRow } from "@miaobu/db";
import { apiTokens, type TokenScope } from "@miaobu/db";
import { newId } from "@miaobu/shared";
import { and, count, desc, eq, gt, isNull } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { base64url, sha256Hex } from "../../lib/crypto.ts";
import { parseScopes } from "./scopes.ts";

/** At most this many live (unrevoked, unexpired) tokens per user. */
export const MAX_TOKENS_PER_USER = 100;

const DAY_MS = 24 * 60 * 60 * 1000;

/** A token as the API lists it; never its secret or hash. */
export interface TokenJson {
  id: string;
  name: string;
  scopes: TokenScope[];
  expiresAt: string;
  lastUsedAt: string | null;
  createdAt: string;
  current: boolean;
}

function present(row: TokenRow, currentId: string): TokenJson {
  return {
    id: row.id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    expiresAt: new Date(row.expiresAt).toISOString(),
    lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
    current: row.id === currentId,
  };
}

/** The user's unrevoked tokens, newest first (expired ones too, until revoked, so they can be cleaned up). */
export async function listTokens(
  { db }: Pick<Deps, "db">,
  userId: string,
  currentId: string,
): Promise<TokenJson[]> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .limit(500);
  return rows.map((row) => present(row, currentId));
}

export interface CreateTokenInput {
  name: string;
  scopes: TokenScope[];
  expiresInDays: number;
}

/** Issues a scoped token; the secret is in this answer only, the API keeps its SHA-256. */
export async function createToken(
  { db, now }: Pick<Deps, "db" | "now">,
  userId: string,
  currentId: string,
  input: CreateTokenInput,
): Promise<TokenJson & { token: string }> {
  const at = now();
  const live = await db
    .select({ n: count() })
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt), gt(apiTokens.expiresAt, at)))
    .get();
  if ((live?.n ?? 0) >= MAX_TOKENS_PER_USER) {
    throw new ApiError(
      "conflict",
      `You have ${MAX_TOKENS_PER_USER} live tokens, the most allowed; revoke some first.`,
    );
  }
  const token = `mb_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const row: TokenRow = {
    id: newId("token", at),
    userId,
    name: input.name,
    tokenHash: await sha256Hex(token),
    scopes: JSON.stringify(input.scopes),
    expiresAt: at + input.expiresInDays * DAY_MS,
    lastUsedAt: null,
    revokedAt: null,
    createdAt: at,
  };
  await db.insert(apiTokens).values(row);
  return { token, ...present(row, currentId) };
}

/** Revokes one of the user's tokens; someone else's, or an already revoked one, is 404. */
export async function revokeOwnToken(
  { db, now }: Pick<Deps, "db" | "now">,
  userId: string,
  tokenId: string,
): Promise<void> {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: now() })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  if (revoked.length === 0) throw new ApiError("not_found", "No token with that id.");
}
