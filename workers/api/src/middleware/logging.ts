import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv, AuthUser } from "../env.ts";

/** One request's log line. */
export interface RequestLog {
  level: "info" | "warn" | "error";
  msg: "request";
  requestId: string;
  method: string;
  /** The route's pattern (`/api/v1/hooks/deploy/:secret`), never the path: paths can hold secrets. */
  route: string | null;
  status: number;
  durationMs: number;
  userId: string | null;
}

/**
 * Logs one JSON line per request. Only the route's pattern is logged, not the path or the query (a deploy
 * hook's secret is in its path, the log socket's token may be in its query), and no header.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  const pattern = routePath(c, -1);
  const user: AuthUser | undefined = c.get("user");
  const status = c.res.status;
  const line: RequestLog = {
    level: status >= 500 ? "error" : status === 429 || status === 503 ? "warn" : "info",
    msg: "request",
    requestId: c.get("requestId"),
    method: c.req.method,
    route: pattern.endsWith("*") ? null : pattern,
    status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    userId: user?.id ?? null,
  };
  console.log(JSON.stringify(line));
});
