import type { ExportedFile } from "@miaobu/contract";
import { type Manifest, SHA256_PATTERN, storageKeys } from "@miaobu/shared";
import type { StoredBody } from "@miaobu/storage";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import type { ProjectRow } from "../projects/present.ts";
import { findDeployment } from "./find.ts";
import { manifestHashes } from "./manifest.ts";
import type { DeploymentRow } from "./present.ts";

interface Found {
  project: ProjectRow;
  deployment: DeploymentRow;
}

/** The 410 for a deployment retention removed: its row stays, its files are gone. */
function gone(deployment: DeploymentRow): ApiError {
  const when = deployment.deletedAt === null ? "" : ` on ${new Date(deployment.deletedAt).toISOString()}`;
  return new ApiError(
    "gone",
    `Deployment ${deployment.id} was deleted by the project's retention policy${when}; its files are no longer stored.`,
  );
}

/** The owner's deployment, unless retention deleted it (410). */
async function findExportable(deps: Pick<Deps, "db">, ownerId: string, deploymentId: string): Promise<Found> {
  const found = await findDeployment(deps, ownerId, deploymentId);
  if (found.deployment.status === "deleted") throw gone(found.deployment);
  return found;
}

/**
 * Why a deployment has no manifest to export. Retention may have deleted it since it was looked up (410);
 * a build that has not reached its upload step has none yet (409); a ready one always has one, so its
 * absence is an operator's problem, named as such rather than answered with a bare 500.
 */
async function manifestMissing(deps: Pick<Deps, "db">, ownerId: string, found: Found): Promise<never> {
  const { deployment } = await findDeployment(deps, ownerId, found.deployment.id);
  if (deployment.status === "deleted") throw gone(deployment);
  if (deployment.status === "ready") {
    throw new ApiError(
      "not_found",
      `The file list (manifest) of deployment ${deployment.id} is missing from storage, so it cannot be exported.`,
    );
  }
  throw new ApiError(
    "conflict",
    `Deployment ${deployment.id} is ${deployment.status} and has no files yet; only a deployment whose files were listed (ready, or uploading) can be exported.`,
  );
}

/** The owner's deployment with the files of its manifest, by path, as `GET /deployments/:id/files` lists them. */
export async function listExportFiles(
  deps: Pick<Deps, "db" | "storage">,
  ownerId: string,
  deploymentId: string,
): Promise<Found & { files: ExportedFile[] }> {
  const found = await findExportable(deps, ownerId, deploymentId);
  const object = await deps.storage.get(storageKeys.manifest(found.project.id, found.deployment.id));
  if (!object) return manifestMissing(deps, ownerId, found);
  const manifest = JSON.parse(await object.text()) as Manifest;
  const files = Object.entries(manifest.files)
    // Manifest paths start with `/`; the export names them as the upload did, relative to the folder.
    .map(([path, entry]) => ({ path: path.replace(/^\/+/, ""), hash: entry.hash, size: entry.size }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...found, files };
}

/**
 * Checks that `hash` is a blob the owner's deployment names (404 otherwise, exactly like a hash that does not
 * exist, so no one can probe for other blobs of the project) and answers its declared size.
 */
export async function findExportBlob(
  deps: Pick<Deps, "db" | "storage">,
  ownerId: string,
  deploymentId: string,
  hash: string,
): Promise<Found & { hash: string; size: number }> {
  const found = await findExportable(deps, ownerId, deploymentId);
  let named: Map<string, number>;
  try {
    named = await manifestHashes(deps, found.project.id, found.deployment.id);
  } catch (error) {
    const key = storageKeys.manifest(found.project.id, found.deployment.id);
    if (await deps.storage.head(key)) throw error;
    return manifestMissing(deps, ownerId, found);
  }
  const size = SHA256_PATTERN.test(hash) ? named.get(hash) : undefined;
  if (size === undefined) {
    throw new ApiError("not_found", `No file of deployment ${found.deployment.id} has the hash ${hash}.`);
  }
  return { ...found, hash, size };
}

/** The stored bytes of a blob `findExportBlob` accepted; 404 naming it when storage has lost it. */
export async function readExportBlob(
  deps: Pick<Deps, "storage">,
  { project, deployment, hash }: Found & { hash: string },
): Promise<StoredBody> {
  const object = await deps.storage.get(storageKeys.blob(project.id, hash));
  if (!object) {
    throw new ApiError(
      "not_found",
      `The file ${hash} of deployment ${deployment.id} is missing from storage; its manifest names it but the bytes are gone.`,
    );
  }
  return object;
}
