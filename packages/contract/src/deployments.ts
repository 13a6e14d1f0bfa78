// The deployments routes (`/api/v1/projects/{project}/deployments`, `/api/v1/deployments/{id}`, rollback,
// promote, the export listing, and the JSON steps of the upload protocol: create and finalize). The blob
// uploads and a file's raw bytes are not declared yet (docs/contract.md).
import { z } from "@hono/zod-openapi";
import { ID_PREFIXES } from "@miaobu/shared/ids";
import { SHA256_PATTERN } from "@miaobu/shared/manifest";
import { DEPLOYMENT_SOURCES, DEPLOYMENT_STATUSES, ENVIRONMENTS } from "@miaobu/shared/statuses";
import { declareRoute, jsonRequest, jsonResponse } from "./declare.ts";
import { branchName, pathParams } from "./inputs.ts";
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

const oneDeployment = z.object({ deployment: deploymentSchema });

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

const sha256 = z.string().regex(SHA256_PATTERN, "expected a lowercase hex SHA-256");

/** A pre-compressed copy of a file, uploaded as a blob of its own. */
const variant = z.strictObject({ hash: sha256, size: z.number().int().nonnegative() });

export const createDeploymentBody = z.strictObject({
  branch: branchName.optional(),
  commitSha: z
    .string()
    .regex(/^[0-9a-fA-F]{7,64}$/, "expected a hex commit id")
    .nullish(),
  commitMessage: z.string().max(4096).nullish(),
  // Path rules and the file-count limit are checked by the service, so they answer 422 per path and 413.
  files: z.array(
    z.strictObject({
      path: z.string(),
      hash: sha256,
      size: z.number().int().nonnegative(),
      variants: z.strictObject({ br: variant.optional(), gzip: variant.optional() }).optional(),
    }),
  ),
});

/** What the upload steps accept, from the operator's configuration. */
export const uploadLimitsSchema = z.object({
  maxFileBytes: z.number().int(),
  maxFiles: z.number().int(),
  maxBatchBytes: z.number().int(),
  maxBatchFiles: z.number().int(),
});
export type UploadLimits = z.infer<typeof uploadLimitsSchema>;

/** A new deployment, the hashes the project still lacks (to upload), and the upload limits. */
export const createdDeployment = z.object({
  deployment: deploymentSchema,
  missing: z.array(z.string()),
  limits: uploadLimitsSchema,
});
export type CreatedDeployment = z.infer<typeof createdDeployment>;

export const rollbackBody = z.strictObject({ deploymentId: z.string().max(64).optional() });

const projectPath = z.object({ project: pathParams.project });
const deploymentPath = z.object({ id: pathParams.id });

// What every deployments route shares: the tag, a token or session, the `api` rate limit.
const deploymentsGroup = {
  tags: ["deployments"] as [string],
  auth: "token" as const,
  rateLimit: "api" as const,
};

export const createDeployment = declareRoute({
  method: "post",
  path: "/api/v1/projects/{project}/deployments",
  operationId: "createDeployment",
  ...deploymentsGroup,
  summary: "Create a deployment from its manifest; answers the hashes to upload",
  scope: "deploy",
  bodyLimit: { config: "maxManifestBytes" },
  request: {
    params: projectPath,
    body: jsonRequest(createDeploymentBody, {
      files: [
        {
          path: "index.html",
          hash: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
          size: 3,
        },
      ],
    }),
  },
  responses: { 201: jsonResponse("the deployment, uploading", createdDeployment) },
});

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
  responses: { 200: jsonResponse("the deployment", oneDeployment) },
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

export const finalizeDeployment = declareRoute({
  method: "post",
  path: "/api/v1/deployments/{id}/finalize",
  operationId: "finalizeDeployment",
  ...deploymentsGroup,
  auth: "token-or-callback",
  summary: "Check every file arrived, store the manifest, make the deployment ready and route it",
  scope: "deploy",
  request: { params: deploymentPath },
  responses: { 200: jsonResponse("the deployment, ready", oneDeployment) },
  errors: {
    409: "the deployment cannot be finalized",
    422: "`missing_blobs`: some files were never uploaded",
  },
});
