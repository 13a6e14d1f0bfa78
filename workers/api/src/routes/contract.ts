import { OpenAPIHono } from "@hono/zod-openapi";
import { type DeclaredRoute, SMALL_BODY_BYTES } from "@miaobu/contract";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { bodyLimitOf } from "../middleware/declared.ts";
import { jsonBody, toApiError } from "../validation.ts";

/** A sub-app for declared routes: requests that fail their schemas answer the API's 400 or 422. */
export function contractRoutes() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw toApiError(result.error);
    },
  });
}

/**
 * A declared route with the middleware its declaration asks for: authentication (the scope is checked from
 * the declaration) and a JSON body read within its limit. Rate limits and the body's declared length are
 * checked before routing, from the same declaration (middleware/declared.ts).
 */
export function guarded<R extends DeclaredRoute>(route: R): R & { middleware: MiddlewareHandler<AppEnv>[] } {
  const policy = route["x-miaobu"];
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  if (policy.auth !== "none") middleware.push(requireAuth);
  // A raw body (blobs) is the route's own to read, within the same limit.
  if (route.request?.body && policy.bodyLimit !== null && policy.rawBody === null) {
    middleware.push(jsonBody((c) => bodyLimitOf(policy, c.get("deps").config) ?? SMALL_BODY_BYTES));
  }
  return { ...route, middleware };
}
