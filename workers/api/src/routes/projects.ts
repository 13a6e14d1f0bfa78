import { ID_PREFIXES } from "@miaobu/shared";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { createProject } from "../services/projects/create.ts";
import { deleteProject } from "../services/projects/delete.ts";
import { findProject } from "../services/projects/find.ts";
import { checkGitUrl } from "../services/projects/git-url.ts";
import { listProjects } from "../services/projects/list.ts";
import { presentProject } from "../services/projects/present.ts";
import { projectSettings, projectSettingsSchema } from "../services/projects/settings.ts";
import { updateProject } from "../services/projects/update.ts";
import { jsonBody, validate } from "../validation.ts";

export const createBody = z.strictObject({
  // The name rules themselves are checked after trimming, so the 422 can say which one failed.
  name: z.string().max(200),
  ...projectSettings,
});

export const updateBody = projectSettingsSchema;

export const projectListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().startsWith(`${ID_PREFIXES.project}_`).max(64).optional(),
});

/** `/api/v1/projects`. */
export const projectRoutes = new Hono<AppEnv>()
  .post("/", requireAuth, jsonBody(), validate("json", createBody), async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    checkGitUrl(deps.config, body.gitUrl);
    const row = await createProject(deps, c.get("user").id, body);
    return c.json({ project: presentProject(deps.config, row) }, 201);
  })
  .get("/", requireAuth, validate("query", projectListQuery), async (c) => {
    const deps = c.get("deps");
    const { rows, nextCursor } = await listProjects(deps, c.get("user").id, c.req.valid("query"));
    return c.json({ projects: rows.map((row) => presentProject(deps.config, row)), nextCursor });
  })
  .get("/:project", requireAuth, async (c) => {
    const deps = c.get("deps");
    const row = await findProject(deps, c.get("user").id, c.req.param("project"));
    return c.json({ project: presentProject(deps.config, row) });
  })
  .patch("/:project", requireAuth, jsonBody(), validate("json", updateBody), async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    checkGitUrl(deps.config, body.gitUrl);
    const row = await updateProject(deps, c.get("user").id, c.req.param("project"), body);
    return c.json({ project: presentProject(deps.config, row) });
  })
  .delete("/:project", requireAuth, async (c) => {
    await deleteProject(c.get("deps"), c.get("user").id, c.req.param("project"));
    return c.body(null, 204);
  });
