import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { authenticateCallback, type CallbackOptions } from "../services/builds/token.ts";

/**
 * Requires the callback token of the deployment named by the route's `:id` (`Authorization: Bearer mbd_…`),
 * for the builder's own endpoints; an API token is refused, so only the builder reports builds. `options`
 * widens it for one route (the build cache takes the token for a while after the deployment is ready).
 */
export function callbackAuth(options: CallbackOptions = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
    const id = c.req.param("id");
    if (!match?.[1] || id === undefined) {
      throw new ApiError("unauthorized", "Send the build's callback token as `Authorization: Bearer mbd_…`.");
    }
    const { user, deployment } = await authenticateCallback(c.get("deps"), match[1], id, options);
    c.set("user", user);
    c.set("tokenId", `callback:${deployment.id}`);
    c.set("callback", { deploymentId: deployment.id, projectId: deployment.projectId });
    await next();
  });
}

/** The callback token of a deployment that has not finished. */
export const requireCallback = callbackAuth();
