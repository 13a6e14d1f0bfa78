import { blobs } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { chunk, runBatch } from "../../lib/batch.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import type { ProjectRow } from "../projects/present.ts";
import { checkWanted } from "./upload.ts";

/** Most hashes one registration may name: each costs the API one HEAD request to storage. */
export const MAX_REGISTERED_BLOBS = 500;
const PARALLEL_HEADS = 10;
const ROWS_PER_INSERT = 20;

/**
 * Records blobs the builder wrote straight to an S3 or OSS bucket (docs/builder-protocol.md): each must be
 * a file of the deployment's manifest and be in storage with the size the manifest declares. Answers which
 * were recorded and which are still missing; nothing is recorded for a missing or wrong-sized one.
 */
export async function registerStoredBlobs(
  deps: Pick<Deps, "db" | "storage" | "now">,
  project: ProjectRow,
  deployment: DeploymentRow,
  hashes: string[],
): Promise<{ recorded: string[]; missing: string[] }> {
  if (hashes.length > MAX_REGISTERED_BLOBS) {
    throw new ApiError("invalid_input", `Register at most ${MAX_REGISTERED_BLOBS} blobs per request.`);
  }
  const unique = [...new Set(hashes)];
  const sizes = await checkWanted(deps, project, deployment, unique);
  const found: { hash: string; size: number }[] = [];
  const missing: string[] = [];
  for (const part of chunk(unique, PARALLEL_HEADS)) {
    const heads = await Promise.all(
      part.map((hash) => deps.storage.head(storageKeys.blob(project.id, hash))),
    );
    part.forEach((hash, i) => {
      const size = heads[i]?.size;
      if (size !== undefined && size === sizes.get(hash)) found.push({ hash, size });
      else missing.push(hash);
    });
  }
  const at = deps.now();
  await runBatch(
    deps.db,
    chunk(found, ROWS_PER_INSERT).map((rows) =>
      deps.db
        .insert(blobs)
        .values(
          rows.map((b) => ({
            projectId: project.id,
            hash: b.hash,
            size: b.size,
            createdAt: at,
            referencedAt: at,
          })),
        )
        .onConflictDoNothing(),
    ),
  );
  return { recorded: found.map((b) => b.hash), missing };
}
