import { deployments } from "@miaobu/db";
import {
  checkDeploymentPath,
  contentTypeFor,
  type Manifest,
  type ManifestInputFile,
  manifestBlobSizes,
} from "@miaobu/shared";
import type { Deps } from "../../env.ts";
import { ApiError, type FieldError } from "../../errors.ts";
import { missingHashes } from "../blobs/missing.ts";
import { findProject } from "../projects/find.ts";
import type { ProjectRow } from "../projects/present.ts";
import { touchBlobs } from "../retention/guards.ts";
import { writeManifest } from "./manifest.ts";
import { newDeploymentRow } from "./new-row.ts";
import type { DeploymentRow } from "./present.ts";

export interface CreateDeploymentInput {
  branch?: string | undefined;
  commitSha?: string | null | undefined;
  commitMessage?: string | null | undefined;
  files: ManifestInputFile[];
}

export interface CreatedDeployment {
  project: ProjectRow;
  deployment: DeploymentRow;
  missing: string[];
}

/** Checks the limits (413) and then every path (422, one entry per bad path); returns the manifest files. */
export function buildManifestFiles(
  deps: Pick<Deps, "config">,
  files: ManifestInputFile[],
): Manifest["files"] {
  const { maxFiles, maxFileBytes } = deps.config;
  if (files.length > maxFiles) {
    throw new ApiError(
      "payload_too_large",
      `The deployment has ${files.length} files; the limit is ${maxFiles}.`,
    );
  }
  const tooLarge = files.flatMap((file, i) =>
    Math.max(file.size, file.variants?.br?.size ?? 0, file.variants?.gzip?.size ?? 0) > maxFileBytes
      ? [{ field: `files[${i}].size`, message: `the file is larger than ${maxFileBytes} bytes` }]
      : [],
  );
  if (tooLarge.length > 0) {
    const names = files.filter((f) => f.size > maxFileBytes).map((f) => f.path);
    throw new ApiError(
      "payload_too_large",
      `${tooLarge.length} file(s) pass the limit of ${maxFileBytes} bytes: ${names.slice(0, 5).join(", ")}.`,
      { errors: tooLarge },
    );
  }
  if (files.length === 0) {
    throw new ApiError("invalid_input", "A deployment needs at least one file.", {
      errors: [{ field: "files", message: "the list is empty" }],
    });
  }
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  const sizes = new Map<string, number>();
  const out: Manifest["files"] = {};
  files.forEach((file, i) => {
    const field = `files[${i}].path`;
    const checked = checkDeploymentPath(file.path);
    if ("problem" in checked) {
      errors.push({ field, message: checked.problem });
      return;
    }
    const first = seen.get(checked.path);
    if (first !== undefined) {
      errors.push({ field, message: `duplicate of files[${first}].path (${checked.path})` });
      return;
    }
    const blobs: [string, string, number][] = [[`files[${i}].size`, file.hash, file.size]];
    if (file.variants?.br)
      blobs.push([`files[${i}].variants.br.size`, file.variants.br.hash, file.variants.br.size]);
    if (file.variants?.gzip) {
      blobs.push([`files[${i}].variants.gzip.size`, file.variants.gzip.hash, file.variants.gzip.size]);
    }
    const clash = blobs.find(([, hash, size]) => (sizes.get(hash) ?? size) !== size);
    if (clash) {
      errors.push({
        field: clash[0],
        message: `another file with the same hash has size ${sizes.get(clash[1])}`,
      });
      return;
    }
    for (const [, hash, size] of blobs) sizes.set(hash, size);
    seen.set(checked.path, i);
    out[checked.path] = {
      hash: file.hash,
      size: file.size,
      contentType: contentTypeFor(checked.path),
      ...(file.variants ? { variants: file.variants } : {}),
    };
  });
  if (errors.length > 0) {
    throw new ApiError(
      "invalid_input",
      `${errors.length} file(s) have an unsafe or repeated path, or a size that contradicts their hash.`,
      { errors },
    );
  }
  return out;
}

/**
 * Creates a deployment in status `uploading` from the client's file list, stores its manifest and
 * answers which blobs the project still lacks.
 */
export async function createDeployment(
  deps: Pick<Deps, "db" | "storage" | "now" | "config">,
  ownerId: string,
  projectKey: string,
  input: CreateDeploymentInput,
): Promise<CreatedDeployment> {
  const project = await findProject(deps, ownerId, projectKey);
  const files = buildManifestFiles(deps, input.files);
  const at = deps.now();
  const row = newDeploymentRow(project, at, {
    status: "uploading",
    branch: input.branch,
    commitSha: input.commitSha ?? null,
    commitMessage: input.commitMessage ?? null,
    source: "cli",
    createdBy: ownerId,
    fileCount: input.files.length,
    totalBytes: input.files.reduce((sum, f) => sum + f.size, 0),
  });
  // Manifest first: a deployment row never exists without its manifest.
  await writeManifest(deps.storage, project.id, { version: 1, deploymentId: row.id, files });
  await deps.db.insert(deployments).values(row);
  // Row and manifest stored, then touched: a retention sweep either sees this deployment or spares its blobs.
  const hashes = [...manifestBlobSizes(Object.values(files)).keys()];
  await touchBlobs(deps.db, project.id, hashes, deps.now());
  const missing = await missingHashes(deps, project.id, hashes);
  return { project, deployment: row, missing };
}
