import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { revokeSession } from "../services/sessions/session.ts";
import { accountLockoutOf, withAccountLockout } from "../services/tokens/lockout.ts";
import { login } from "../services/tokens/login.ts";
import { revokeToken } from "../services/tokens/revoke.ts";
import { jsonBody, validate } from "../validation.ts";

export const loginBody = z.strictObject({
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(1024),
  tokenName: z.string().max(100).optional(),
});

/** `/api/v1/auth`: log in for a token, log out to revoke it. */
export const auth = new Hono<AppEnv>()
  .post("/login", jsonBody(), validate("json", loginBody), async (c) => {
    const deps = c.get("deps");
    const input = c.req.valid("json");
    const lockout = accountLockoutOf(c.env, deps.config.edge.loginLockout);
    const issued = await withAccountLockout(lockout, input.email, () => login(deps, input));
    return c.json(issued, 201);
  })
  .post("/logout", requireAuth, async (c) => {
    const sessionId = c.get("sessionId");
    if (sessionId) await revokeSession(c.get("deps"), c.get("user").id, sessionId);
    else await revokeToken(c.get("deps"), c.get("user").id, c.get("tokenId"));
    return c.body(null, 204);
  });

/** `/api/v1/me`: the user the token belongs to. */
export const me = new Hono<AppEnv>().get("/", requireAuth, (c) => c.json({ user: c.get("user") }));
