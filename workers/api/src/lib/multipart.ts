import type { Config } from "../env.ts";
import { ApiError } from "../errors.ts";
import type { BlobUpload } from "../services/blobs/upload.ts";
import { mediaType, readBody } from "./body.ts";

/** Throws 415 unless the request is multipart/form-data. */
export function requireMultipart(request: Request): void {
  if (mediaType(request.headers.get("Content-Type") ?? undefined) !== "multipart/form-data") {
    throw new ApiError("unsupported_media_type", "Send the blobs as multipart/form-data, one part per hash.");
  }
}

/**
 * Reads a batch upload: one file part per blob, named by its hash. 413 past the batch's bytes or parts,
 * 400 when it is not multipart or a part is a text field. A hash sent twice counts once.
 */
export async function readBatch(
  request: Request,
  config: Pick<Config, "maxBatchBytes" | "maxBatchFiles">,
): Promise<BlobUpload[]> {
  const body = await readBody(request, config.maxBatchBytes, "The batch");
  let form: FormData;
  try {
    const headers = { "Content-Type": request.headers.get("Content-Type") ?? "" };
    form = await new Response(body, { headers }).formData();
  } catch {
    throw new ApiError("bad_request", "The body is not valid multipart/form-data.");
  }
  const parts = [...form.entries()];
  if (parts.length > config.maxBatchFiles) {
    throw new ApiError(
      "payload_too_large",
      `The batch has ${parts.length} parts; the limit is ${config.maxBatchFiles}.`,
    );
  }
  if (parts.length === 0) throw new ApiError("bad_request", "The batch has no parts.");
  const uploads = new Map<string, Uint8Array>();
  for (const [name, value] of parts) {
    if (typeof value === "string") {
      throw new ApiError("bad_request", `The part ${name} is a text field; send each blob as a file part.`);
    }
    uploads.set(name, new Uint8Array(await value.arrayBuffer()));
  }
  return [...uploads].map(([hash, body]) => ({ hash, body }));
}
