import { storageKeys } from "@miaobu/shared";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { mediaType } from "../lib/body.ts";
import { callbackAuth } from "../middleware/callback.ts";
import { checkCacheSave, evictOldArchives } from "../services/cache/save.ts";

/** The builder's cache keys: a SHA-256 in hex (of the branch), as a zstd tar or, from older builders, gzip. */
export const CACHE_KEY_PATTERN = /^[a-f0-9]{64}\.tar\.(?:zst|gz)$/;

/** How long after its deployment is ready a build may still read and save the cache (it saves after). */
export const CACHE_GRACE_MS = 10 * 60 * 1000;

const ARCHIVE_TYPES = new Set([
  "",
  "application/octet-stream",
  "application/zstd",
  "application/gzip",
  "application/x-gzip",
]);

const typeOf = (key: string) => (key.endsWith(".tar.zst") ? "application/zstd" : "application/gzip");

const requireBuild = callbackAuth({ afterReadyMs: CACHE_GRACE_MS });

/**
 * The build cache of a build's project (docs/builder-protocol.md), mounted at `/api/v1/builds`. Only the
 * deployment's callback token opens it, while the build runs and for `CACHE_GRACE_MS` after it is ready, and
 * the project is the deployment's, so one project never reads or writes another's archives.
 */
export const buildCacheRoutes = new Hono<AppEnv>()
  .get("/:id/cache/:key", requireBuild, async (c) => {
    const { projectId } = callbackOf(c.get("callback"));
    const key = cacheKey(c.req.param("key"));
    const object = await c.get("deps").storage.get(storageKeys.cache(projectId, key));
    if (!object) throw new ApiError("not_found", "There is no cache archive under this key yet.");
    return c.body(object.body, 200, {
      "Content-Type": object.contentType ?? typeOf(key),
      "Content-Length": String(object.size),
      ETag: `"${object.etag}"`,
    });
  })
  .put("/:id/cache/:key", requireBuild, async (c) => {
    const deps = c.get("deps");
    const { projectId, deploymentId } = callbackOf(c.get("callback"));
    const key = cacheKey(c.req.param("key"));
    if (!ARCHIVE_TYPES.has(mediaType(c.req.header("Content-Type")))) {
      throw new ApiError("unsupported_media_type", "Send the archive as application/octet-stream.");
    }
    const declared = c.req.header("Content-Length");
    const length = declared === undefined ? Number.NaN : Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new ApiError("length_required", "Send the archive's size as Content-Length.");
    }
    const { maxCacheBytes, maxProjectCacheBytes } = deps.config;
    const max = Math.min(maxCacheBytes, maxProjectCacheBytes);
    if (length > max) {
      throw new ApiError("payload_too_large", `The archive is larger than the limit of ${max} bytes.`);
    }
    const body = c.req.raw.body;
    if (body === null || length === 0) throw new ApiError("invalid_input", "The archive is empty.");
    await checkCacheSave(deps, deploymentId);
    // Streamed straight to storage, which refuses a body of any other length than the one declared; the
    // count tells a short or long body (the client's fault) from a storage failure.
    let received = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    const stored = storageKeys.cache(projectId, key);
    try {
      await deps.storage.put(stored, counted, { contentType: typeOf(key), length });
    } catch (error) {
      if (received === length) throw error;
      throw new ApiError("bad_request", `The body did not carry the ${length} bytes of its Content-Length.`);
    }
    try {
      await evictOldArchives(deps.storage, projectId, stored, maxProjectCacheBytes);
    } catch (error) {
      // The archive is stored; the next save tries again to make room.
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: "evicting cache archives failed",
          projectId,
          error: String(error),
        }),
      );
    }
    return c.json({ key, size: length }, 201);
  });

function cacheKey(key: string): string {
  if (!CACHE_KEY_PATTERN.test(key)) {
    throw new ApiError(
      "invalid_input",
      "A cache key is a lowercase hex SHA-256 followed by `.tar.zst` (or `.tar.gz`).",
      { errors: [{ field: "key", message: "expected <sha256 hex>.tar.zst or <sha256 hex>.tar.gz" }] },
    );
  }
  return key;
}

function callbackOf(value: AppEnv["Variables"]["callback"]): { projectId: string; deploymentId: string } {
  if (!value) throw new ApiError("unauthorized", "A build's callback token is required.");
  return value;
}
