import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { clearBuildCache } from "../services/cache/clear.ts";

/** The project's build cache (docs/builder.md), mounted at `/api/v1/projects`: `/:project/cache`. */
export const cacheRoutes = new Hono<AppEnv>().delete("/:project/cache", requireAuth, async (c) => {
  const { clearedAt, archives } = await clearBuildCache(
    c.get("deps"),
    c.get("user").id,
    c.req.param("project"),
  );
  return c.json({ clearedAt: new Date(clearedAt).toISOString(), archives });
});
