import { apiTokens, users } from "@miaobu/db";
import { newId, verifyPassword } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import type { AuthUser, Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { base64url, sha256Hex } from "../../lib/crypto.ts";

// Checked when the email is unknown, so a wrong email costs the same time as a wrong password.
const DUMMY_HASH =
  "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export interface LoginInput {
  email: string;
  password: string;
  tokenName?: string | undefined;
}

export interface IssuedToken {
  token: string;
  tokenId: string;
  expiresAt: string;
  user: AuthUser;
}

/** The user with this email and password; 401 `invalid_credentials` otherwise, in the same time. */
export async function checkPassword(
  { db }: Pick<Deps, "db">,
  rawEmail: string,
  password: string,
): Promise<AuthUser> {
  const email = rawEmail.trim().toLowerCase();
  const user = await db.select().from(users).where(eq(users.email, email)).get();
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user?.passwordHash || !ok) {
    throw new ApiError("invalid_credentials", "The email or the password is wrong.");
  }
  return { id: user.id, email: user.email, name: user.name };
}

/** Checks the password and issues a new API token, returned once and stored only as its SHA-256. */
export async function login(
  { db, now, config }: Pick<Deps, "db" | "now" | "config">,
  input: LoginInput,
): Promise<IssuedToken> {
  const user = await checkPassword({ db }, input.email, input.password);
  const token = `mb_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const at = now();
  const expiresAt = at + config.tokenTtlMs;
  const tokenId = newId("token", at);
  await db.insert(apiTokens).values({
    id: tokenId,
    userId: user.id,
    name: input.tokenName?.trim() || "cli",
    tokenHash: await sha256Hex(token),
    expiresAt,
    createdAt: at,
  });
  return {
    token,
    tokenId,
    expiresAt: new Date(expiresAt).toISOString(),
    user: { id: user.id, email: user.email, name: user.name },
  };
}
