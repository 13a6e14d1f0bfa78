import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import {
  clearSessionCookie,
  requireSameOrigin,
  sessionCookie,
  setSessionCookie,
} from "../services/sessions/cookie.ts";
import { authenticateSession, createSession, revokeSession } from "../services/sessions/session.ts";
import { accountLockoutOf, withAccountLockout } from "../services/tokens/lockout.ts";
import { checkPassword } from "../services/tokens/login.ts";
import { jsonBody, validate } from "../validation.ts";

export const sessionBody = z.strictObject({
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(1024),
});

/** `/api/v1/auth`: console sessions (a cookie) and the sign-in methods this deployment offers. */
export const sessionRoutes = new Hono<AppEnv>()
  .get("/providers", (c) => {
    const { github } = c.get("deps").config;
    return c.json({
      local: true as const,
      github: { enabled: github !== null, startUrl: "/api/v1/auth/github/start" },
    });
  })
  .post("/session", jsonBody(), validate("json", sessionBody), async (c) => {
    const deps = c.get("deps");
    const { email, password } = c.req.valid("json");
    const lockout = accountLockoutOf(c.env, deps.config.edge.loginLockout);
    const user = await withAccountLockout(lockout, email, () => checkPassword(deps, email, password));
    const session = await createSession(deps, user.id);
    setSessionCookie(c, session.jwt, session.expiresAt);
    return c.json({ user }, 201);
  })
  .delete("/session", async (c) => {
    const cookie = sessionCookie(c);
    if (cookie === undefined) {
      throw new ApiError("unauthorized", "There is no session cookie to end.");
    }
    requireSameOrigin(c);
    const deps = c.get("deps");
    // An expired or revoked session is already over; clearing the cookie is all that is left to do.
    const session = await authenticateSession(deps, cookie).catch(() => null);
    if (session) await revokeSession(deps, session.user.id, session.sessionId);
    clearSessionCookie(c);
    return c.body(null, 204);
  });
