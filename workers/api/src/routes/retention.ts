import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { findProject } from "../services/projects/find.ts";
import { pruneProject } from "../services/retention/sweep.ts";
import { jsonBody, validate } from "../validation.ts";

export const pruneBody = z.strictObject({
  /** Report what would be deleted and delete nothing. */
  dryRun: z.boolean().optional(),
});

/** Retention on demand (docs/retention.md), mounted at `/api/v1/projects`: `/:project/prune`. */
export const retentionRoutes = new Hono<AppEnv>().post(
  "/:project/prune",
  requireAuth,
  jsonBody(),
  validate("json", pruneBody),
  async (c) => {
    const deps = c.get("deps");
    const project = await findProject(deps, c.get("user").id, c.req.param("project"));
    const report = await pruneProject(deps, project, { dryRun: c.req.valid("json").dryRun ?? false });
    return c.json(report);
  },
);
