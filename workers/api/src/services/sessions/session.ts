import { sessions, users } from "@miaobu/db";
import { newId } from "@miaobu/shared";
import { and, eq, isNull } from "drizzle-orm";
import { jwtVerify, SignJWT } from "jose";
import type { AuthUser, Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";

/** The cookie that carries a console session. */
export const SESSION_COOKIE = "miaobu_session";

/** How long a session lasts. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const ISSUER = "miaobu";
const AUDIENCE = "miaobu-console";

export interface IssuedSession {
  /** The signed JWT for the cookie. */
  jwt: string;
  sessionId: string;
  expiresAt: number;
}

/** Writes a session row and signs a JWT (HS256) that names it; the row is what makes it revocable. */
export async function createSession(
  { db, now, config }: Pick<Deps, "db" | "now" | "config">,
  userId: string,
): Promise<IssuedSession> {
  const at = now();
  const sessionId = newId("session", at);
  const expiresAt = at + SESSION_TTL_MS;
  await db.insert(sessions).values({ id: sessionId, userId, expiresAt, createdAt: at });
  const jwt = await new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(userId)
    .setIssuedAt(Math.floor(at / 1000))
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .sign(config.keys.sessionKey);
  return { jwt, sessionId, expiresAt };
}

const unauthenticated = () =>
  new ApiError("unauthorized", "The session has ended or is invalid; sign in again.");

/** The user of a session cookie's JWT; 401 when the signature, the expiry or the session row says no. */
export async function authenticateSession(
  { db, now, config }: Pick<Deps, "db" | "now" | "config">,
  jwt: string,
): Promise<{ user: AuthUser; sessionId: string }> {
  if (jwt.length > 2048) throw unauthenticated();
  let sessionId: unknown;
  let subject: string | undefined;
  try {
    const { payload } = await jwtVerify(jwt, config.keys.sessionKey, {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(now()),
    });
    sessionId = payload.sid;
    subject = payload.sub;
  } catch {
    throw unauthenticated();
  }
  if (typeof sessionId !== "string" || !subject) throw unauthenticated();
  const row = await db
    .select({
      expiresAt: sessions.expiresAt,
      revokedAt: sessions.revokedAt,
      id: users.id,
      email: users.email,
      name: users.name,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, subject)))
    .get();
  if (!row || row.revokedAt !== null || row.expiresAt <= now()) throw unauthenticated();
  return { user: { id: row.id, email: row.email, name: row.name }, sessionId };
}

/** Revokes one of the user's sessions; revoking twice changes nothing. */
export async function revokeSession(
  { db, now }: Pick<Deps, "db" | "now">,
  userId: string,
  sessionId: string,
): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now() })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}
