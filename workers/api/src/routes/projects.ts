import {
  createProject as createRoute,
  deleteProject as deleteRoute,
  getProject as getRoute,
  listProjects as listRoute,
  updateProject as updateRoute,
} from "@miaobu/contract";
import { createProject } from "../services/projects/create.ts";
import { deleteProject } from "../services/projects/delete.ts";
import { findProject } from "../services/projects/find.ts";
import { checkGitUrl } from "../services/projects/git-url.ts";
import { listProjects } from "../services/projects/list.ts";
import { presentProject } from "../services/projects/present.ts";
import { updateProject } from "../services/projects/update.ts";
import { contractRoutes, guarded } from "./contract.ts";

/** The projects routes, as packages/contract/src/projects.ts declares them; mounted at `/`. */
export const projectRoutes = contractRoutes()
  .openapi(guarded(createRoute), async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    checkGitUrl(deps.config, body.gitUrl);
    const row = await createProject(deps, c.get("user").id, body);
    return c.json({ project: presentProject(deps.config, row) }, 201);
  })
  .openapi(guarded(listRoute), async (c) => {
    const deps = c.get("deps");
    const { rows, nextCursor } = await listProjects(deps, c.get("user").id, c.req.valid("query"));
    return c.json({ projects: rows.map((row) => presentProject(deps.config, row)), nextCursor }, 200);
  })
  .openapi(guarded(getRoute), async (c) => {
    const deps = c.get("deps");
    const row = await findProject(deps, c.get("user").id, c.req.valid("param").project);
    return c.json({ project: presentProject(deps.config, row) }, 200);
  })
  .openapi(guarded(updateRoute), async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    checkGitUrl(deps.config, body.gitUrl);
    const row = await updateProject(deps, c.get("user").id, c.req.valid("param").project, body);
    return c.json({ project: presentProject(deps.config, row) }, 200);
  })
  .openapi(guarded(deleteRoute), async (c) => {
    await deleteProject(c.get("deps"), c.get("user").id, c.req.valid("param").project);
    return c.body(null, 204);
  });
