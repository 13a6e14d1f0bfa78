// The projects routes (`/api/v1/projects`, `/api/v1/projects/{project}`).
import { z } from "@hono/zod-openapi";
import { ID_PREFIXES } from "@miaobu/shared/ids";
import { HTML_HANDLING_MODES, NOT_FOUND_HANDLING_MODES } from "@miaobu/shared/serving";
import { declareRoute, jsonRequest, jsonResponse } from "./declare.ts";
import { pathParams, projectSettings, projectSettingsSchema } from "./inputs.ts";

const nullableText = z.string().nullable();

/** A project as every answer shows it (docs/api.md). */
export const projectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    productionBranch: z.string(),
    productionDeploymentId: nullableText,
    productionUrl: z.string(),
    /** Never with credentials. */
    gitUrl: nullableText,
    rootDir: nullableText,
    framework: nullableText,
    installCommand: nullableText,
    buildCommand: nullableText,
    outputDir: nullableText,
    nodeVersion: nullableText,
    buildTimeoutSeconds: z.number().int(),
    hasDeployHook: z.boolean(),
    htmlHandling: z.enum(HTML_HANDLING_MODES),
    notFoundHandling: z.enum(NOT_FOUND_HANDLING_MODES),
    skewProtectionDays: z.number().int(),
    previewProtected: z.boolean(),
    /** Retention (docs/retention.md): newest ready production and preview deployments kept, and days kept. */
    retainProduction: z.number().int(),
    retainPreview: z.number().int(),
    retainDays: z.number().int(),
    /** When the build cache was last cleared; null: never. */
    cacheClearedAt: nullableText,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Project");
export type Project = z.infer<typeof projectSchema>;

const oneProject = z.object({ project: projectSchema });
const projectPath = z.object({ project: pathParams.project });

export const createProjectBody = z.strictObject({
  // The name rules themselves are checked after trimming, so the 422 can say which one failed.
  name: z.string().max(200),
  ...projectSettings,
});

export const projectListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().startsWith(`${ID_PREFIXES.project}_`).max(64).optional(),
});

export const projectPage = z.object({ projects: z.array(projectSchema), nextCursor: nullableText });
export type ProjectPage = z.infer<typeof projectPage>;

// What every projects route shares: the tag, a token or session, the `api` rate limit.
const projectsGroup = { tags: ["projects"] as [string], auth: "token" as const, rateLimit: "api" as const };

export const createProject = declareRoute({
  method: "post",
  path: "/api/v1/projects",
  operationId: "createProject",
  ...projectsGroup,
  summary: "Create a project",
  scope: "admin",
  request: { body: jsonRequest(createProjectBody, { name: "my-site" }) },
  responses: { 201: jsonResponse("the new project", oneProject) },
  errors: { 409: "the name is taken" },
});

export const listProjects = declareRoute({
  method: "get",
  path: "/api/v1/projects",
  operationId: "listProjects",
  ...projectsGroup,
  summary: "List your projects, newest first, a page at a time (`limit` 1–100, default 50)",
  scope: "read",
  request: { query: projectListQuery },
  responses: { 200: jsonResponse("a page of projects; `nextCursor` fetches the next", projectPage) },
});

export const getProject = declareRoute({
  method: "get",
  path: "/api/v1/projects/{project}",
  operationId: "getProject",
  ...projectsGroup,
  summary: "Get a project by id or name",
  scope: "read",
  request: { params: projectPath },
  responses: { 200: jsonResponse("the project", oneProject) },
});

export const updateProject = declareRoute({
  method: "patch",
  path: "/api/v1/projects/{project}",
  operationId: "updateProject",
  ...projectsGroup,
  summary: "Change a project's settings",
  scope: "admin",
  request: {
    params: projectPath,
    body: jsonRequest(projectSettingsSchema, {
      htmlHandling: "drop-trailing-slash",
      notFoundHandling: "404-page",
    }),
  },
  responses: { 200: jsonResponse("the project as changed", oneProject) },
});

export const deleteProject = declareRoute({
  method: "delete",
  path: "/api/v1/projects/{project}",
  operationId: "deleteProject",
  ...projectsGroup,
  summary: "Delete a project, its deployments, routes and files",
  scope: "admin",
  request: { params: projectPath },
  responses: { 204: { description: "deleted" } },
});
