import {
  createDeployment as createRoute,
  listDeploymentFiles as filesRoute,
  finalizeDeployment as finalizeRoute,
  getDeployment as getRoute,
  listDeployments as listRoute,
  promoteDeployment as promoteRoute,
  type RoutedDeployment,
  rollbackProject as rollbackRoute,
} from "@miaobu/contract";
import type { Deps } from "../env.ts";
import { ApiError } from "../errors.ts";
import { mediaType, readBody } from "../lib/body.ts";
import { readBatch, requireMultipart } from "../lib/multipart.ts";
import { requireAuth } from "../middleware/auth.ts";
import { checkWanted, findUploadTarget, storeBlobs } from "../services/blobs/upload.ts";
import { createDeployment } from "../services/deployments/create.ts";
import { findExportBlob, listExportFiles, readExportBlob } from "../services/deployments/export.ts";
import { finalizeDeployment } from "../services/deployments/finalize.ts";
import { findDeployment } from "../services/deployments/find.ts";
import { listDeployments } from "../services/deployments/list.ts";
import {
  aliasesOf,
  type DeploymentRow,
  presentDeployment,
  presentOne,
} from "../services/deployments/present.ts";
import { promoteDeployment } from "../services/deployments/promote.ts";
import { rollbackProject } from "../services/deployments/rollback.ts";
import { type ProjectRow, presentProject } from "../services/projects/present.ts";
import { contractRoutes, guarded } from "./contract.ts";

/** Whether an `If-None-Match` header names the blob `hash` (or `*`). */
function etagMatches(header: string | undefined, hash: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const value = tag.trim().replace(/^W\//, "");
    return value === "*" || value === `"${hash}"`;
  });
}

/** A deployment that production now points at, with its project as changed. */
async function routed(deps: Deps, project: ProjectRow, deployment: DeploymentRow): Promise<RoutedDeployment> {
  return {
    deployment: await presentOne(deps, project, deployment),
    project: presentProject(deps.config, project),
  };
}

/**
 * Deployments, mounted at `/`: the routes packages/contract/src/deployments.ts declares, then the blob uploads
 * and a file's raw bytes, not declared yet (docs/contract.md).
 */
export const deploymentRoutes = contractRoutes()
  .openapi(guarded(createRoute), async (c) => {
    const deps = c.get("deps");
    const { project } = c.req.valid("param");
    const created = await createDeployment(deps, c.get("user").id, project, c.req.valid("json"));
    const { maxFileBytes, maxFiles, maxBatchBytes, maxBatchFiles } = deps.config;
    return c.json(
      {
        deployment: await presentOne(deps, created.project, created.deployment),
        missing: created.missing,
        limits: { maxFileBytes, maxFiles, maxBatchBytes, maxBatchFiles },
      },
      201,
    );
  })
  .openapi(guarded(listRoute), async (c) => {
    const deps = c.get("deps");
    const { project, rows, nextCursor } = await listDeployments(
      deps,
      c.get("user").id,
      c.req.valid("param").project,
      c.req.valid("query"),
    );
    const aliases = await aliasesOf(deps, project.id);
    const deployments = rows.map((row) => presentDeployment(deps.config, project, row, aliases));
    return c.json({ deployments, nextCursor }, 200);
  })
  .openapi(guarded(rollbackRoute), async (c) => {
    const deps = c.get("deps");
    const { deploymentId } = c.req.valid("json");
    const { project, deployment } = await rollbackProject(
      deps,
      c.get("user").id,
      c.req.valid("param").project,
      deploymentId,
    );
    return c.json(await routed(deps, project, deployment), 200);
  })
  .openapi(guarded(getRoute), async (c) => {
    const deps = c.get("deps");
    const { project, deployment } = await findDeployment(deps, c.get("user").id, c.req.valid("param").id);
    return c.json({ deployment: await presentOne(deps, project, deployment) }, 200);
  })
  .openapi(guarded(filesRoute), async (c) => {
    const deps = c.get("deps");
    const { id } = c.req.valid("param");
    const { project, deployment, files } = await listExportFiles(deps, c.get("user").id, id);
    return c.json({ deployment: await presentOne(deps, project, deployment), files }, 200);
  })
  .openapi(guarded(promoteRoute), async (c) => {
    const deps = c.get("deps");
    const { project, deployment } = await promoteDeployment(deps, c.get("user").id, c.req.valid("param").id);
    return c.json(await routed(deps, project, deployment), 200);
  })
  .openapi(guarded(finalizeRoute), async (c) => {
    const deps = c.get("deps");
    const { id } = c.req.valid("param");
    const { project, deployment } = await finalizeDeployment(deps, c.get("user").id, id);
    return c.json({ deployment: await presentOne(deps, project, deployment) }, 200);
  })
  .get("/api/v1/deployments/:id/files/:hash", requireAuth, async (c) => {
    const deps = c.get("deps");
    const blob = await findExportBlob(deps, c.get("user").id, c.req.param("id"), c.req.param("hash"));
    // A blob is named by the hash of its bytes, so it never changes: the hash is a strong ETag forever.
    const headers = {
      ETag: `"${blob.hash}"`,
      "Cache-Control": "private, max-age=31536000, immutable",
    };
    if (etagMatches(c.req.header("If-None-Match"), blob.hash)) return c.body(null, 304, headers);
    const object = await readExportBlob(deps, blob);
    return c.body(object.body, 200, {
      ...headers,
      "Content-Type": "application/octet-stream",
      "Content-Length": String(object.size),
    });
  })
  .put("/api/v1/deployments/:id/blobs/:hash", requireAuth, async (c) => {
    const deps = c.get("deps");
    const type = mediaType(c.req.header("Content-Type"));
    if (type !== "" && type !== "application/octet-stream") {
      throw new ApiError("unsupported_media_type", "Send the raw bytes as application/octet-stream.");
    }
    const hash = c.req.param("hash");
    const { project, deployment } = await findUploadTarget(deps, c.get("user").id, c.req.param("id"));
    const sizes = await checkWanted(deps, project, deployment, [hash]);
    const body = await readBody(c.req.raw, deps.config.maxFileBytes, `The blob ${hash}`);
    await storeBlobs(deps, project, [{ hash, body }], sizes);
    return c.json({ hash, size: body.byteLength }, 201);
  })
  .post("/api/v1/deployments/:id/blobs", requireAuth, async (c) => {
    const deps = c.get("deps");
    requireMultipart(c.req.raw);
    const { project, deployment } = await findUploadTarget(deps, c.get("user").id, c.req.param("id"));
    const uploads = await readBatch(c.req.raw, deps.config);
    const sizes = await checkWanted(
      deps,
      project,
      deployment,
      uploads.map((u) => u.hash),
    );
    const uploaded = await storeBlobs(deps, project, uploads, sizes);
    return c.json({ uploaded }, 201);
  });
