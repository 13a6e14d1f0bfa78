import { openAsBlob } from "node:fs";
import { readFile } from "node:fs/promises";
import { storageKeys } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage/types";
import type { CallbackClient } from "./callback.ts";
import { CallbackError, sleep } from "./callback.ts";
import type { BlobSource, OutputFile } from "./output.ts";

const MIB = 1024 * 1024;
const OCTET = "application/octet-stream";

interface Limits {
  maxBatchBytes?: number;
  maxBatchFiles?: number;
}

/** What an upload did, for the log. */
export interface UploadSummary {
  blobs: number;
  missing: number;
  bytes: number;
}

/**
 * The upload protocol of docs/api.md with the deployment's callback token: submit the manifest, upload
 * only the blobs the API says are missing (large ones alone by PUT, small ones in multipart batches),
 * then finalize, uploading anything finalize still reports missing once more. With `compressed`, the
 * files upload while they are compressed: the manifest is submitted again with the variants once
 * compression is done, and only the variants the API still misses follow (docs/builder-protocol.md).
 */
export async function uploadDeployment(input: {
  client: CallbackClient;
  deploymentId: string;
  manifest: readonly OutputFile[];
  blobs: ReadonlyMap<string, BlobSource>;
  /** The same files with their compressed variants, and every blob, once compression is done. */
  compressed?: Promise<{ manifest: readonly OutputFile[]; blobs: ReadonlyMap<string, BlobSource> }>;
  signal?: AbortSignal;
  log: (text: string) => void;
  /** Runs after every blob is stored, before finalize (which ends the token's life), with what was sent. */
  beforeFinalize?: (sent: UploadSummary) => Promise<void>;
  /**
   * The S3 or OSS bucket the platform stores files in, when the builder was given its credentials: blobs
   * then go straight there and are registered with the API, which checks each (docs/builder-protocol.md).
   */
  direct?: { storage: Storage; projectId: string };
}): Promise<UploadSummary> {
  const { client, deploymentId, signal } = input;
  const id = encodeURIComponent(deploymentId);
  const submit = async (manifest: readonly OutputFile[]) =>
    (await client.send("POST", `/api/v1/builds/${id}/manifest`, {
      json: {
        files: manifest.map(({ path, hash, size, variants }) =>
          variants ? { path, hash, size, variants } : { path, hash, size },
        ),
      },
      ...(signal ? { signal } : {}),
    })) as { missing?: string[]; limits?: Limits; directUpload?: boolean } | null;
  const answer = await submit(input.manifest);
  const direct = answer?.directUpload && input.direct ? input.direct : null;
  const sent = new Set<string>();
  /** Sends the blobs of `hashes` not sent yet; returns the bytes sent. */
  const send = async (hashes: readonly string[], blobs: ReadonlyMap<string, BlobSource>) => {
    const list = hashes.flatMap((hash) => {
      const blob = sent.has(hash) ? undefined : blobs.get(hash);
      if (blob) sent.add(hash);
      return blob ? [blob] : [];
    });
    if (list.length === 0) return 0;
    return direct
      ? storeDirectly(client, id, direct, list, signal, input.log)
      : sendBlobs(client, id, list, answer?.limits ?? {}, signal);
  };
  const first = answer?.missing ?? [];
  input.log(`${input.blobs.size} blobs, ${first.length} not stored yet`);
  if (direct && first.length > 0) input.log(`uploading straight to the ${direct.storage.kind} bucket`);
  const uploading = send(first, input.blobs);
  let blobs = input.blobs;
  let bytes: number;
  if (input.compressed) {
    // Both run to their end before either's failure is thrown, so nothing is left working.
    const [files, done] = await Promise.allSettled([uploading, input.compressed]);
    if (files.status === "rejected") throw files.reason;
    if (done.status === "rejected") throw done.reason;
    bytes = files.value;
    blobs = done.value.blobs;
    const variants = (await submit(done.value.manifest))?.missing ?? [];
    input.log(`${blobs.size - input.blobs.size} compressed variants, ${variants.length} not stored yet`);
    bytes += await send(variants, blobs);
  } else {
    bytes = await uploading;
  }
  const missing = sent.size;
  await input.beforeFinalize?.({ blobs: blobs.size, missing, bytes });
  try {
    await finalize(client, id, signal);
  } catch (error) {
    const still = missingFromProblem(error).filter((hash) => blobs.has(hash));
    if (still.length === 0) throw error;
    input.log(`finalize reported ${still.length} blobs missing: uploading them again`);
    for (const hash of still) sent.delete(hash);
    bytes += await send(still, blobs);
    await finalize(client, id, signal);
  }
  return { blobs: blobs.size, missing, bytes };
}

async function sendBlobs(
  client: CallbackClient,
  id: string,
  blobs: readonly BlobSource[],
  limits: Limits,
  signal: AbortSignal | undefined,
): Promise<number> {
  const requests = planRequests(blobs, limits);
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++];
      if (!request) continue;
      if (request.length === 1 && (request[0]?.size ?? 0) > 4 * MIB) {
        const blob = request[0];
        if (!blob) continue;
        await client.send("PUT", `/api/v1/deployments/${id}/blobs/${blob.hash}`, {
          body: await openAsBlob(blob.file, { type: OCTET }),
          contentType: OCTET,
          ...(signal ? { signal } : {}),
        });
      } else {
        const form = new FormData();
        for (const blob of request)
          form.append(blob.hash, await openAsBlob(blob.file, { type: OCTET }), blob.hash);
        await client.send("POST", `/api/v1/deployments/${id}/blobs`, {
          body: form,
          ...(signal ? { signal } : {}),
        });
      }
      for (const blob of request) bytes += blob.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, requests.length) }, worker));
  return bytes;
}

const DIRECT_PARALLEL = 8;
const REGISTER_BATCH = 500;

/**
 * Writes blobs to the bucket, then registers them with the API, which checks each is there. A blob the API
 * does not find is written again, up to three rounds: a retention sweep may have removed a file it was
 * deleting just as it was written. Still missing after that, the bucket is not the one the API reads.
 */
async function storeDirectly(
  client: CallbackClient,
  id: string,
  direct: { storage: Storage; projectId: string },
  blobs: readonly BlobSource[],
  signal: AbortSignal | undefined,
  log: (text: string) => void,
): Promise<number> {
  let bytes = 0;
  let pending = blobs;
  for (let round = 1; pending.length > 0; round++) {
    bytes += await writeAll(direct, pending, signal);
    const missing = new Set(await register(client, id, pending, signal));
    if (missing.size === 0) break;
    if (round >= 3) {
      throw new Error(
        `the API does not find ${missing.size} blobs written to the bucket (first: ${[...missing][0]}); ` +
          "check that the builder and the Workers are configured with the same bucket",
      );
    }
    log(`${missing.size} blobs were not found after writing them: writing them again`);
    pending = pending.filter((blob) => missing.has(blob.hash));
  }
  return bytes;
}

async function writeAll(
  direct: { storage: Storage; projectId: string },
  blobs: readonly BlobSource[],
  signal: AbortSignal | undefined,
): Promise<number> {
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < blobs.length) {
      const blob = blobs[next++];
      if (!blob) continue;
      signal?.throwIfAborted();
      const body = await readFile(blob.file);
      await withRetries(
        () => direct.storage.put(storageKeys.blob(direct.projectId, blob.hash), body, { contentType: OCTET }),
        signal,
      );
      bytes += blob.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(DIRECT_PARALLEL, blobs.length) }, worker));
  return bytes;
}

/** Registers written blobs, 500 per request; answers the hashes the API did not find in the bucket. */
async function register(
  client: CallbackClient,
  id: string,
  blobs: readonly BlobSource[],
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < blobs.length; i += REGISTER_BATCH) {
    const hashes = blobs.slice(i, i + REGISTER_BATCH).map((blob) => blob.hash);
    const answer = (await client.send("POST", `/api/v1/builds/${id}/blobs`, {
      json: { hashes },
      ...(signal ? { signal } : {}),
    })) as { missing?: string[] } | null;
    missing.push(...(answer?.missing ?? []));
  }
  return missing;
}

/** A storage call retried on `unavailable` (a 5xx or a broken connection), up to 4 attempts. */
async function withRetries(call: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "unavailable" || attempt >= 4 || signal?.aborted) throw error;
      await sleep(250 * 2 ** attempt, signal);
    }
  }
}

/** Large blobs alone; small ones packed into batches within the API's file and byte limits. */
export function planRequests(blobs: readonly BlobSource[], limits: Limits): BlobSource[][] {
  const maxFiles = limits.maxBatchFiles && limits.maxBatchFiles > 0 ? limits.maxBatchFiles : 1000;
  const budget = Math.min(
    limits.maxBatchBytes && limits.maxBatchBytes > 0 ? limits.maxBatchBytes : 50 * MIB,
    8 * MIB,
  );
  const requests: BlobSource[][] = [];
  let batch: BlobSource[] = [];
  let cost = 0;
  for (const blob of blobs) {
    if (blob.size > Math.min(4 * MIB, budget - 512)) {
      requests.push([blob]);
      continue;
    }
    if (batch.length >= maxFiles || cost + blob.size + 512 > budget) {
      requests.push(batch);
      batch = [];
      cost = 0;
    }
    batch.push(blob);
    cost += blob.size + 512;
  }
  if (batch.length > 0) requests.push(batch);
  return requests;
}

function missingFromProblem(error: unknown): string[] {
  if (!(error instanceof CallbackError) || error.status !== 422) return [];
  const body = error.body as { code?: string; missing?: { hash?: string }[] } | null;
  if (body?.code !== "missing_blobs") return [];
  return (body.missing ?? [])
    .map((entry) => entry.hash)
    .filter((hash): hash is string => typeof hash === "string");
}

/**
 * Finalize, retried on transient failures. The token dies when the deployment becomes ready, so a 401
 * answering a retry means an earlier attempt succeeded and only its answer was lost.
 */
async function finalize(client: CallbackClient, id: string, signal: AbortSignal | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send("POST", `/api/v1/deployments/${id}/finalize`, {
        attempts: 1,
        ...(signal ? { signal } : {}),
      });
      return;
    } catch (error) {
      if (error instanceof CallbackError && error.status === 401 && attempt > 1) return;
      const transient = !(error instanceof CallbackError) || error.status === 429 || error.status >= 500;
      if (!transient || attempt >= 6 || signal?.aborted) throw error;
      await sleep(250 * 2 ** attempt, signal);
    }
  }
}
