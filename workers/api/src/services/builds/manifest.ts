import { type Manifest, type ManifestInputFile, manifestBlobSizes, storageKeys } from "@miaobu/shared";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { missingHashes } from "../blobs/missing.ts";
import { buildManifestFiles } from "../deployments/create.ts";
import { writeManifest } from "../deployments/manifest.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import type { ProjectRow } from "../projects/present.ts";
import { touchBlobs } from "../retention/guards.ts";
import { changeStatus } from "./status.ts";

const ACCEPTS_MANIFEST = new Set(["queued", "cloning", "installing", "building", "uploading"]);

/**
 * The builder's file list for an existing build deployment: checked like a new deployment's (limits 413,
 * paths 422), stored as its manifest, and the deployment moves to `uploading`. Sending the same list again
 * (a retry after a lost answer) answers the same. A second list may add compressed variants to files that
 * had none (the builder uploads files while it compresses: docs/builder-protocol.md); any other change is
 * refused (409), because uploads are already being checked against the first.
 */
export async function submitBuildManifest(
  deps: Pick<Deps, "db" | "storage" | "now" | "config">,
  project: ProjectRow,
  deployment: DeploymentRow,
  input: ManifestInputFile[],
): Promise<{ deployment: DeploymentRow; missing: string[] }> {
  if (!ACCEPTS_MANIFEST.has(deployment.status)) {
    throw new ApiError("conflict", `The deployment is ${deployment.status}; it takes no manifest now.`);
  }
  const files = buildManifestFiles(deps, input);
  const stored = await deps.storage.get(storageKeys.manifest(project.id, deployment.id));
  if (stored) {
    const previous = JSON.parse(await stored.text()) as { files: Manifest["files"] };
    if (JSON.stringify(previous.files) !== JSON.stringify(files)) {
      if (!addsVariantsOnly(previous.files, files))
        throw new ApiError(
          "conflict",
          "This build already submitted a different manifest; a later one may only add compressed variants.",
        );
      await writeManifest(deps.storage, project.id, { version: 1, deploymentId: deployment.id, files });
    }
  } else {
    await writeManifest(deps.storage, project.id, { version: 1, deploymentId: deployment.id, files });
  }
  const updated = await changeStatus(deps, deployment.id, "uploading", deps.now(), () => true, {
    fileCount: input.length,
    totalBytes: input.reduce((sum, f) => sum + f.size, 0),
  });
  if (!updated) throw new ApiError("conflict", "The deployment finished while its manifest arrived.");
  // As in createDeployment: touched after the manifest is stored, so a retention sweep spares these blobs.
  const hashes = [...manifestBlobSizes(Object.values(files)).keys()];
  await touchBlobs(deps.db, project.id, hashes, deps.now());
  const missing = await missingHashes(deps, project.id, hashes);
  return { deployment: updated, missing };
}

/** True when `next` lists the same files as `previous`, only with variants where `previous` had none. */
function addsVariantsOnly(previous: Manifest["files"], next: Manifest["files"]): boolean {
  const paths = Object.keys(next);
  if (paths.length !== Object.keys(previous).length) return false;
  return paths.every((path) => {
    const before = previous[path];
    const after = next[path];
    if (!before || !after) return false;
    const { variants, ...rest } = after;
    const { variants: had, ...restBefore } = before;
    if (JSON.stringify(rest) !== JSON.stringify(restBefore)) return false;
    return had === undefined || JSON.stringify(had) === JSON.stringify(variants);
  });
}
