import { blobs } from "@miaobu/db";
import { SHA256_PATTERN, storageKeys } from "@miaobu/shared";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { chunk, runBatch } from "../../lib/batch.ts";
import { sha256Hex } from "../../lib/crypto.ts";
import { findDeployment } from "../deployments/find.ts";
import { manifestHashes } from "../deployments/manifest.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import type { ProjectRow } from "../projects/present.ts";
import { assertNotSweeping } from "../retention/guards.ts";

export interface BlobUpload {
  hash: string;
  body: Uint8Array;
}

// Four bound parameters per row and at most 100 per D1 statement.
const ROWS_PER_INSERT = 20;
const PARALLEL_PUTS = 6;

/**
 * The owner's deployment, provided it still accepts uploads (409 otherwise) and no retention sweep of its
 * project is deleting files right now (503: the sweep takes seconds, and clients retry).
 */
export async function findUploadTarget(
  deps: Pick<Deps, "db" | "now">,
  ownerId: string,
  deploymentId: string,
): Promise<{ project: ProjectRow; deployment: DeploymentRow }> {
  const found = await findDeployment(deps, ownerId, deploymentId);
  if (found.deployment.status !== "uploading") {
    throw new ApiError(
      "conflict",
      `The deployment is ${found.deployment.status}; files can only be uploaded while it is uploading.`,
    );
  }
  assertNotSweeping(found.project, deps.now());
  return found;
}

/**
 * Refuses a hash that is malformed or that the deployment's manifest does not name (422), and answers the
 * size the manifest declares for each, which the body must then have.
 */
export async function checkWanted(
  deps: Pick<Deps, "storage">,
  project: ProjectRow,
  deployment: DeploymentRow,
  hashes: string[],
): Promise<Map<string, number>> {
  let wanted = await manifestHashes(deps, project.id, deployment.id);
  if (hashes.some((hash) => !wanted.has(hash)))
    wanted = await manifestHashes(deps, project.id, deployment.id, true);
  const errors = hashes.flatMap((hash) =>
    !SHA256_PATTERN.test(hash)
      ? [{ field: hash, message: "not a lowercase hex SHA-256" }]
      : wanted.has(hash)
        ? []
        : [{ field: hash, message: "no file of this deployment has this hash" }],
  );
  if (errors.length > 0) {
    throw new ApiError("invalid_input", `${errors.length} upload(s) are not files of this deployment.`, {
      errors,
    });
  }
  return wanted;
}

/**
 * Verifies each body against its hash (422 hash_mismatch), stores it under the project's blobs and records
 * it. Nothing is stored unless every body of the request is valid.
 */
export async function storeBlobs(
  deps: Pick<Deps, "db" | "storage" | "now" | "config">,
  project: ProjectRow,
  uploads: BlobUpload[],
  declaredSizes: Map<string, number>,
): Promise<string[]> {
  const { db, storage, config } = deps;
  for (const upload of uploads) {
    if (upload.body.byteLength > config.maxFileBytes) {
      throw new ApiError(
        "payload_too_large",
        `The blob ${upload.hash} has ${upload.body.byteLength} bytes; the limit is ${config.maxFileBytes}.`,
      );
    }
    const declared = declaredSizes.get(upload.hash);
    if (declared !== upload.body.byteLength) {
      // The router serves the manifest's size, so the body must have exactly that size.
      throw new ApiError(
        "invalid_input",
        `The blob ${upload.hash} has ${upload.body.byteLength} bytes; the manifest declares ${declared}.`,
        { errors: [{ field: upload.hash, message: `expected ${declared} bytes` }] },
      );
    }
    const actual = await sha256Hex(upload.body);
    if (actual !== upload.hash) {
      throw new ApiError("hash_mismatch", `The body sent as ${upload.hash} hashes to ${actual}.`, {
        errors: [{ field: upload.hash, message: `the body hashes to ${actual}` }],
      });
    }
  }
  for (const part of chunk(uploads, PARALLEL_PUTS)) {
    await Promise.all(part.map((u) => storage.put(storageKeys.blob(project.id, u.hash), u.body)));
  }
  const at = deps.now();
  await runBatch(
    db,
    chunk(uploads, ROWS_PER_INSERT).map((rows) =>
      db
        .insert(blobs)
        .values(
          rows.map((u) => ({
            projectId: project.id,
            hash: u.hash,
            size: u.body.byteLength,
            createdAt: at,
            referencedAt: at,
          })),
        )
        .onConflictDoNothing(),
    ),
  );
  return uploads.map((u) => u.hash);
}
