import { SHA256_PATTERN } from "@miaobu/shared";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { requireCallback } from "../middleware/callback.ts";
import { MAX_REGISTERED_BLOBS, registerStoredBlobs } from "../services/blobs/direct.ts";
import { findUploadTarget } from "../services/blobs/upload.ts";
import { buildLogsOf, schedulerOf } from "../services/builds/clients.ts";
import { submitBuildManifest } from "../services/builds/manifest.ts";
import { RUNNING_STATUSES } from "../services/builds/phases.ts";
import { findDeployment } from "../services/deployments/find.ts";
import { jsonBody, validate } from "../validation.ts";

// Builder-facing bodies ignore unknown fields, so a newer builder can add some without breaking builds.
export const eventBody = z.object({
  status: z.enum([...RUNNING_STATUSES, "failed", "canceled"]),
  at: z.number().int().nonnegative().optional(),
  heartbeat: z.boolean().optional(),
  commitSha: z
    .string()
    .regex(/^[0-9a-fA-F]{7,64}$/, "expected a hex commit id")
    .optional(),
  commitMessage: z
    .string()
    .max(65_536)
    .transform((s) => s.slice(0, 4096))
    .optional(),
  framework: z.string().max(50).optional(),
  error: z
    .string()
    .max(65_536)
    .transform((s) => s.slice(0, 4096))
    .optional(),
});

const MAX_LINES = 500;
const MAX_LOG_BATCH_BYTES = 256 * 1024;

export const logBody = z.object({
  seq: z.number().int().min(1).max(10_000_000),
  lines: z
    .array(
      z.object({
        t: z.number().nonnegative(),
        stream: z.enum(["stdout", "stderr", "system"]),
        text: z.string().max(MAX_LOG_BATCH_BYTES),
      }),
    )
    .max(MAX_LINES),
});

const variant = z.object({
  hash: z.string().regex(SHA256_PATTERN, "expected a lowercase hex SHA-256"),
  size: z.number().int().nonnegative(),
});

export const manifestBody = z.object({
  files: z.array(
    z.object({
      path: z.string(),
      hash: z.string().regex(SHA256_PATTERN, "expected a lowercase hex SHA-256"),
      size: z.number().int().nonnegative(),
      variants: z.object({ br: variant.optional(), gzip: variant.optional() }).optional(),
    }),
  ),
});

export const storedBlobsBody = z.object({
  hashes: z
    .array(z.string().regex(SHA256_PATTERN, "expected a lowercase hex SHA-256"))
    .min(1)
    .max(MAX_REGISTERED_BLOBS),
});

/** The builder's callbacks (docs/builder-protocol.md), mounted at `/api/v1/builds`; callback token only. */
export const callbackRoutes = new Hono<AppEnv>()
  .post("/:id/events", requireCallback, jsonBody(), validate("json", eventBody), async (c) => {
    const { projectId, deploymentId } = callbackOf(c.get("callback"));
    const row = await schedulerOf(c.env).report(projectId, deploymentId, c.req.valid("json"));
    const status =
      row?.status ?? (await findDeployment(c.get("deps"), c.get("user").id, deploymentId)).deployment.status;
    return c.json({ status });
  })
  .post(
    "/:id/logs",
    requireCallback,
    // 256 KiB of lines plus the JSON around them.
    jsonBody(() => MAX_LOG_BATCH_BYTES + 64 * 1024),
    validate("json", logBody),
    async (c) => {
      const { deploymentId } = callbackOf(c.get("callback"));
      const { seq, lines } = c.req.valid("json");
      const stored = await buildLogsOf(c.env).append(deploymentId, seq, lines);
      if (!stored) throw new ApiError("conflict", "The build log has ended.");
      return c.json({ stored: true });
    },
  )
  .post(
    "/:id/manifest",
    requireCallback,
    jsonBody((c) => c.get("deps").config.maxManifestBytes),
    validate("json", manifestBody),
    async (c) => {
      const deps = c.get("deps");
      const { deploymentId } = callbackOf(c.get("callback"));
      const { project, deployment } = await findDeployment(deps, c.get("user").id, deploymentId);
      const { missing } = await submitBuildManifest(deps, project, deployment, c.req.valid("json").files);
      const { config } = deps;
      return c.json({
        missing,
        // With an S3 or OSS bucket the builder may write blobs itself, then register them (`/blobs`).
        directUpload: deps.storage.kind !== "r2",
        limits: {
          maxFileBytes: config.maxFileBytes,
          maxFiles: config.maxFiles,
          maxBatchBytes: config.maxBatchBytes,
          maxBatchFiles: config.maxBatchFiles,
        },
      });
    },
  )
  .post("/:id/blobs", requireCallback, jsonBody(), validate("json", storedBlobsBody), async (c) => {
    const deps = c.get("deps");
    const { deploymentId } = callbackOf(c.get("callback"));
    const { project, deployment } = await findUploadTarget(deps, c.get("user").id, deploymentId);
    return c.json(await registerStoredBlobs(deps, project, deployment, c.req.valid("json").hashes));
  });

function callbackOf(value: AppEnv["Variables"]["callback"]): { projectId: string; deploymentId: string } {
  if (!value) throw new ApiError("unauthorized", "A build's callback token is required.");
  return value;
}

/**
 * Mounted before the deployment routes on `POST /api/v1/deployments/:id/finalize`: when the builder finalizes
 * its build, the project's coordinator frees the build's slot and ends its log. If that fails the watchdog
 * does it later, so the finalize answer stands.
 */
export const settleAfterFinalize = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const callback = c.get("callback");
  if (!callback || c.res.status !== 200) return;
  try {
    await schedulerOf(c.env).settle(callback.projectId, callback.deploymentId);
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "settling a finalized build failed",
        ...callback,
        error: String(error),
      }),
    );
  }
});
