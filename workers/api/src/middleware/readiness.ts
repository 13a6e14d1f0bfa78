import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { problem } from "../errors.ts";
import { databaseReady, LATEST_MIGRATION } from "../services/readiness/check.ts";

// Ready once, ready for the isolate's life: the database does not lose its migrations or its administrator.
const ready = new WeakSet<Env>();

/**
 * Answers 503 with `Retry-After` to everything but `/healthz` (liveness) until the newest D1 migration is
 * applied and the administrator the platform creates exists, so a sign-in in the first second after start
 * is told to wait rather than that its password is wrong.
 */
export const readiness = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.path === "/healthz" || ready.has(c.env)) return next();
  const { db, config } = c.get("deps");
  if (await databaseReady(db, { migration: LATEST_MIGRATION, adminEmail: config.edge.readyAdminEmail })) {
    ready.add(c.env);
    return next();
  }
  const res = problem(
    c,
    "unavailable",
    "Miaobu is starting: its database is not ready yet. Try again in a moment.",
  );
  res.headers.set("Retry-After", "1");
  res.headers.set("Cache-Control", "no-store");
  return res;
});
