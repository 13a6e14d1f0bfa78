import type { UploadLimits } from "./types";

/** A blob to upload: its hash, size, and a file holding it. */
export interface PendingBlob {
  hash: string;
  size: number;
  absolute: string;
  path: string;
}

/** One upload request: a single `PUT` of a large blob, or a multipart `POST` of several small ones. */
export type UploadRequest =
  | { kind: "single"; blob: PendingBlob; bytes: number }
  | { kind: "batch"; blobs: PendingBlob[]; bytes: number };

export interface PlanOptions {
  /** Blobs above this go alone by `PUT` (default 4 MiB). */
  largeBlobBytes?: number;
  /**
   * Batches stop growing at this size even if the API allows more (default 8 MiB), so several run in
   * parallel, progress moves, and a retry resends little.
   */
  targetBatchBytes?: number;
}

/** Room left for each part's boundary and headers, so a full batch's body stays within `maxBatchBytes`. */
export const PART_OVERHEAD_BYTES = 512;

const MIB = 1024 * 1024;
/** The limits docs/api.md states, for an API that does not send them. */
export const DEFAULT_LIMITS: UploadLimits = {
  maxFileBytes: 25 * MIB,
  maxFiles: 20_000,
  maxBatchBytes: 50 * MIB,
  maxBatchFiles: 1000,
};

/**
 * Splits blobs into requests: large ones alone, small ones packed in order into batches that respect
 * the API's `maxBatchFiles` and `maxBatchBytes` (counting each part's overhead).
 */
export function planUploads(
  blobs: readonly PendingBlob[],
  limits: Partial<UploadLimits> | undefined,
  options: PlanOptions = {},
): UploadRequest[] {
  const maxBatchBytes = positive(limits?.maxBatchBytes) ?? DEFAULT_LIMITS.maxBatchBytes;
  const maxBatchFiles = positive(limits?.maxBatchFiles) ?? DEFAULT_LIMITS.maxBatchFiles;
  const budget = Math.min(maxBatchBytes, options.targetBatchBytes ?? 8 * MIB);
  const largeAbove = Math.min(options.largeBlobBytes ?? 4 * MIB, budget - PART_OVERHEAD_BYTES);

  const requests: UploadRequest[] = [];
  let batch: PendingBlob[] = [];
  let batchCost = 0;
  const flush = () => {
    if (batch.length === 0) return;
    requests.push({ kind: "batch", blobs: batch, bytes: batch.reduce((sum, blob) => sum + blob.size, 0) });
    batch = [];
    batchCost = 0;
  };
  for (const blob of blobs) {
    if (blob.size > largeAbove) {
      requests.push({ kind: "single", blob, bytes: blob.size });
      continue;
    }
    const cost = blob.size + PART_OVERHEAD_BYTES;
    if (batch.length >= maxBatchFiles || batchCost + cost > budget) flush();
    batch.push(blob);
    batchCost += cost;
  }
  flush();
  return requests;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}
