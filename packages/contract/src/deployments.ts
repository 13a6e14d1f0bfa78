// The deployments routes that read a deployment or move a project's routes to one (`/api/v1/deployments/{id}`,
// `/api/v1/projects/{project}/deployments`, rollback, promote, the export listing). The upload protocol
// (create, blobs, finalize) and a file's raw bytes are not declared yet (docs/contract.md).
import { z } from "@hono/zod-openapi";
import { ID_PREFIXES } from "@miaobu/shared/ids";
import { DEPLOYMENT_SOURCES, DEPLOYMENT_STATUSES, ENVIRONMENTS } from "@miaobu/shared/statuses";
import { declareRoute, jsonRequest, jsonResponse } from "./declare.ts";
import { pathParams } from "./inputs.ts";
import { projectSchema } from "./projects.ts";

const nullableText = z.string().nullable();

/** A line of `_redirects` or `_headers` that finalize could not use. */
export const ruleProblemSchema = z.object({
  file: z.enum(["_redirects", "_headers"]),
  line: z.number().int(),
  message: z.string(),
});
export type RuleProblem = z.infer<typeof ruleProblemSchema>;

/** One step of a build with its times (ms since the epoch); `endedAt` is null while it runs. */
export const phaseSchema = z.object({
  name: z.enum(DEPLOYMENT_STATUSES),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
});
export type Phase = z.infer<typeof phaseSchema>;

/** A deployment as every answer shows it (docs/api.md). */
export const deploymentSchema = z
  .object({
    id: z.string(),
    shortId: z.string(),
    projectId: z.string(),
    /** The project's name. */
    project: z.string(),
    status: z.enum(DEPLOYMENT_STATUSES),
    environment: z.enum(ENVIRONMENTS),
    branch: z.string(),
    commitSha: nullableText,
    commitMessage: nullableText,
    source: z.enum(DEPLOYMENT_SOURCES),
    fileCount: z.number().int(),
    totalBytes: z.number().int(),
    /** Its own immutable URL. */
    url: z.string(),
    /** The other URLs routed to it, production first. */
    aliases: z.array(z.string()),
    isProduction: z.boolean(),
    createdAt: z.string(),
    readyAt: nullableText,
    errorMessage: nullableText,
    rulesReport: z.array(ruleProblemSchema),
    /** Builds: the framework detected or configured, each step with its times, when the builder ran. */
    framework: nullableText,
    phases: z.array(phaseSchema),
    startedAt: nullableText,
    finishedAt: nullableText,
    /** Built without cache: nothing was restored. */
    skipCache: z.boolean(),
  })
  .openapi("Deployment");
export type Deployment = z.infer<typeof deploymentSchema>;

export const deploymentListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().startsWith(`${ID_PREFIXES.deployment}_`).max(64).optional(),
});

export const deploymentPage = z.object({ deployments: z.array(deploymentSchema), nextCursor: nullableText });
export type DeploymentPage = z.infer<typeof deploymentPage>;

/** A deployment and its project as changed, the answer of rollback and promote. */
export const routedDeployment = z.object({ deployment: deploymentSchema, project: projectSchema });
export type RoutedDeployment = z.infer<typeof routedDeployment>;

/** One file of a deployment: its path relative to the deployed folder. */
export const exportedFileSchema = z.object({ path: z.string(), hash: z.string(), size: z.number().int() });
export type ExportedFile = z.infer<typeof exportedFileSchema>;

export const deploymentFiles = z.object({ deployment: deploymentSchema, files: z.array(exportedFileSchema) });
export type DeploymentFiles = z.infer<typeof deploymentFiles>;

export const rollbackBody = z.strictObject({ deploymentId: z.string().max(64).optional() });

const projectPath = z.object({ project: pathParams.project });
const deploymentPath = z.object({ id: pathParams.id });

// What every deployments route shares: the tag, a token or session, the `api` rate limit.
const deploymentsGroup = {
  tags: ["deployments"] as [string],
  auth: "token" as const,
  rateLimit: "api" as const,
};

export const listDeployments = declareRoute({
  method: "get",
  path: "/api/v1/projects/{project}/deployments",
  operationId: "listDeployments",
  ...deploymentsGroup,
  summary: "List a project's deployments, newest first, a page at a time (`limit` 1–100, default 20)",
  scope: "read",
  request: { params: projectPath, query: deploymentListQuery },
  responses: { 200: jsonResponse("a page of deployments; `nextCursor` fetches the next", deploymentPage) },
});

export const rollbackProject = declareRoute({
  method: "post",
  path: "/api/v1/projects/{project}/rollback",
  operationId: "rollbackProject",
  ...deploymentsGroup,
  summary: "Point production at an older ready deployment (the previous production one if none is named)",
  scope: "deploy",
  request: { params: projectPath, body: jsonRequest(rollbackBody, {}, { required: false }) },
  responses: { 200: jsonResponse("the deployment now in production, and the project", routedDeployment) },
  errors: { 409: "nothing to roll back to, or the deployment is not ready" },
});

export const getDeployment = declareRoute({
  method: "get",
  path: "/api/v1/deployments/{id}",
  operationId: "getDeployment",
  ...deploymentsGroup,
  summary: "Get a deployment",
  scope: "read",
  request: { params: deploymentPath },
  responses: { 200: jsonResponse("the deployment", z.object({ deployment: deploymentSchema })) },
});

export const listDeploymentFiles = declareRoute({
  method: "get",
  path: "/api/v1/deployments/{id}/files",
  operationId: "listDeploymentFiles",
  ...deploymentsGroup,
  summary:
    "Export: the files of a deployment, from its manifest, sorted by path; each one's bytes are at `files/{hash}`",
  scope: "read",
  request: { params: deploymentPath },
  responses: { 200: jsonResponse("the deployment and its files", deploymentFiles) },
  errors: {
    404: "no such deployment, or not yours; or its manifest is missing from storage",
    409: "the deployment has no files yet (a build before its upload step)",
    410: "the deployment was deleted by the project's retention policy",
  },
});

export const promoteDeployment = declareRoute({
  method: "post",
  path: "/api/v1/deployments/{id}/promote",
  operationId: "promoteDeployment",
  ...deploymentsGroup,
  summary: "Make a ready deployment production",
  scope: "deploy",
  request: { params: deploymentPath },
  responses: { 200: jsonResponse("the deployment now in production, and the project", routedDeployment) },
  errors: { 409: "the deployment is not ready" },
});
