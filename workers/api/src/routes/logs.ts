import { storageKeys } from "@miaobu/shared";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { FINAL_STATUS_HEADER } from "../durable-objects/build-log.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { requireAuth } from "../middleware/auth.ts";
import { buildLogsOf } from "../services/builds/clients.ts";
import { isFinal } from "../services/builds/phases.ts";
import { findDeployment } from "../services/deployments/find.ts";
import { authenticateToken } from "../services/tokens/authenticate.ts";
import { validate } from "../validation.ts";

export const wsQuery = z.object({
  after: z.coerce.number().int().min(0).max(10_000_000).default(0),
  token: z.string().max(200).optional(),
});

/**
 * Browsers cannot set headers on a WebSocket, so the log socket also takes the API token as `?token=`.
 * A header, when present, wins.
 */
const requireAuthOrQueryToken = createMiddleware<AppEnv>(async (c, next) => {
  const token = c.req.query("token");
  if (c.req.header("Authorization") !== undefined || token === undefined) return requireAuth(c, next);
  const { user, tokenId } = await authenticateToken(c.get("deps"), token);
  c.set("user", user);
  c.set("tokenId", tokenId);
  await next();
});

/** Build logs, mounted at `/api/v1`: the text, and a WebSocket that streams it live. */
export const logRoutes = new Hono<AppEnv>()
  .get("/deployments/:id/logs", requireAuth, async (c) => {
    const deps = c.get("deps");
    const { project, deployment } = await findDeployment(deps, c.get("user").id, c.req.param("id"));
    const headers = {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Deployment-Status": deployment.status,
    };
    const stored = await deps.storage.get(storageKeys.buildLog(project.id, deployment.id));
    if (stored) return new Response(stored.body, { headers });
    // Uploads and builds that never started have no log; asking the object would only create it.
    const text =
      deployment.startedAt === null && (isFinal(deployment.status) || deployment.status === "uploading")
        ? ""
        : await buildLogsOf(c.env).text(deployment.id);
    return new Response(text, { headers });
  })
  .get("/deployments/:id/logs/ws", requireAuthOrQueryToken, validate("query", wsQuery), async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError("bad_request", "This endpoint speaks WebSocket only; send `Upgrade: websocket`.");
    }
    const deps = c.get("deps");
    const { deployment } = await findDeployment(deps, c.get("user").id, c.req.param("id"));
    const headers = new Headers({ Upgrade: "websocket" });
    if (isFinal(deployment.status)) headers.set(FINAL_STATUS_HEADER, deployment.status);
    const { after } = c.req.valid("query");
    const upgraded = await buildLogsOf(c.env).connect(
      deployment.id,
      new Request(`https://build-log/ws?after=${after}`, { headers }),
    );
    return new Response(null, { status: upgraded.status, webSocket: upgraded.webSocket });
  });
