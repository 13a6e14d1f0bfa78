import { openAsBlob } from "node:fs";
import path from "node:path";
import type { ApiClient } from "./api";
import { ApiError, CliError } from "./errors";
import type { UploadRequest } from "./plan";
import { mapLimit } from "./pool";

const OCTET_STREAM = "application/octet-stream";

/** Sends every planned request, a few at once, retrying transient failures; returns what was sent. */
export async function uploadBlobs(
  client: ApiClient,
  deploymentId: string,
  requests: readonly UploadRequest[],
  options: { concurrency?: number; onRequestDone?: (files: number, bytes: number) => void } = {},
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const base = `/api/v1/deployments/${encodeURIComponent(deploymentId)}/blobs`;
  await mapLimit(requests, options.concurrency ?? 4, async (request) => {
    try {
      if (request.kind === "single") {
        const body = await openAsBlob(request.blob.absolute, { type: OCTET_STREAM });
        await client.request("PUT", `${base}/${request.blob.hash}`, {
          body,
          headers: { "content-type": OCTET_STREAM },
          retry: "transient",
          timeoutMs: 600_000,
        });
      } else {
        const form = new FormData();
        for (const blob of request.blobs) {
          form.append(
            blob.hash,
            await openAsBlob(blob.absolute, { type: OCTET_STREAM }),
            path.basename(blob.path),
          );
        }
        await client.request("POST", base, { body: form, retry: "transient", timeoutMs: 600_000 });
      }
    } catch (error) {
      throw explainUploadError(error, request);
    }
    const count = request.kind === "single" ? 1 : request.blobs.length;
    files += count;
    bytes += request.bytes;
    options.onRequestDone?.(count, request.bytes);
  });
  return { files, bytes };
}

function explainUploadError(error: unknown, request: UploadRequest): unknown {
  if (error instanceof ApiError && error.code === "hash_mismatch") {
    const which = request.kind === "single" ? request.blob.path : "a file";
    return new CliError(`${which} changed while it was being deployed: run the deploy again`, {
      code: "hash_mismatch",
      cause: error,
    });
  }
  // A file rewritten or deleted after hashing makes the Blob unreadable.
  if (
    error instanceof Error &&
    (error.name === "NotReadableError" || (error as NodeJS.ErrnoException).code === "ENOENT")
  ) {
    return new CliError(
      `a file changed while it was being deployed: run the deploy again (${error.message})`,
      {
        cause: error,
      },
    );
  }
  return error;
}
