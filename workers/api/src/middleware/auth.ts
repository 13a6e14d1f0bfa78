import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { authenticateCallback, CALLBACK_TOKEN_PREFIX } from "../services/builds/token.ts";
import { requireSameOrigin, sessionCookie } from "../services/sessions/cookie.ts";
import { authenticateSession } from "../services/sessions/session.ts";
import { authenticateToken } from "../services/tokens/authenticate.ts";
import { ALL_SCOPES, requiredScope, requireScope } from "../services/tokens/scopes.ts";
import { declaredPolicy } from "./declared.ts";

// The routes not declared yet that a build's callback token (`mbd_…`) may use besides /api/v1/builds/:id/*, for
// its own deployment only: the blob uploads. A declared route says so with `auth: "token-or-callback"`.
const CALLBACK_UPLOAD_PATH = /^\/api\/v1\/deployments\/([^/]+)\/blobs(?:\/[^/]+)?$/;

/**
 * Requires `Authorization: Bearer mb_…` or the console's session cookie, and sets `user`, `tokenId` and
 * `scopes`; then checks the scope the route needs (its declaration in packages/contract says which, or for a route
 * not declared yet, its path). On routes declared `token-or-callback` and the blob uploads a build's callback
 * token (`mbd_…`) is accepted too, for its own deployment only, and sets `callback`.
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  const cookie = header === undefined ? sessionCookie(c) : undefined;
  if (cookie !== undefined) {
    const writes = !["GET", "HEAD"].includes(c.req.method) || c.req.header("Upgrade") !== undefined;
    if (writes) requireSameOrigin(c);
    const { user, sessionId } = await authenticateSession(c.get("deps"), cookie);
    c.set("user", user);
    c.set("tokenId", `session:${sessionId}`);
    c.set("sessionId", sessionId);
    c.set("scopes", ALL_SCOPES);
    await next();
    return;
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!match?.[1]) {
    throw new ApiError(
      "unauthorized",
      "Send an API token as `Authorization: Bearer mb_…`; run `miaobu login`.",
    );
  }
  const declared = declaredPolicy(c);
  // The deployment a callback token may act on here: a declared route's `{id}`, or an undeclared upload's.
  const upload = declared
    ? declared.auth === "token-or-callback"
      ? c.req.param("id")
      : undefined
    : c.req.method === "GET"
      ? undefined
      : CALLBACK_UPLOAD_PATH.exec(c.req.path)?.[1];
  if (match[1].startsWith(CALLBACK_TOKEN_PREFIX) && upload) {
    const { user, deployment } = await authenticateCallback(c.get("deps"), match[1], upload);
    c.set("user", user);
    c.set("tokenId", `callback:${deployment.id}`);
    c.set("callback", { deploymentId: deployment.id, projectId: deployment.projectId });
    c.set("scopes", ["deploy"]);
    await next();
    return;
  }
  const { user, tokenId, scopes } = await authenticateToken(c.get("deps"), match[1]);
  const needed = declared ? (declared.scope ?? "admin") : requiredScope(c.req.method, c.req.path);
  requireScope(scopes, needed, c.req.method, c.req.path);
  c.set("user", user);
  c.set("tokenId", tokenId);
  c.set("scopes", scopes);
  await next();
});
