import { storageKeys } from "@miaobu/shared";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { mediaType } from "../lib/body.ts";
import { requireCallback } from "../middleware/callback.ts";

/** The builder's cache keys: the SHA-256 of lockfile, Node major and package manager, as a gzip tar. */
export const CACHE_KEY_PATTERN = /^[a-f0-9]{64}\.tar\.gz$/;

const ARCHIVE_TYPES = new Set(["", "application/octet-stream", "application/gzip", "application/x-gzip"]);

/**
 * The dependency cache of a build's project (docs/builder-protocol.md), mounted at `/api/v1/builds`. Only
 * the deployment's callback token opens it, only while the build runs, and the project is the deployment's,
 * so one project never reads or writes another's archives.
 */
export const buildCacheRoutes = new Hono<AppEnv>()
  .get("/:id/cache/:key", requireCallback, async (c) => {
    const { projectId } = callbackOf(c.get("callback"));
    const key = cacheKey(c.req.param("key"));
    const object = await c.get("deps").storage.get(storageKeys.cache(projectId, key));
    if (!object) throw new ApiError("not_found", "There is no cache archive under this key yet.");
    return c.body(object.body, 200, {
      "Content-Type": "application/gzip",
      "Content-Length": String(object.size),
      ETag: `"${object.etag}"`,
    });
  })
  .put("/:id/cache/:key", requireCallback, async (c) => {
    const { projectId } = callbackOf(c.get("callback"));
    const key = cacheKey(c.req.param("key"));
    if (!ARCHIVE_TYPES.has(mediaType(c.req.header("Content-Type")))) {
      throw new ApiError("unsupported_media_type", "Send the archive as application/octet-stream.");
    }
    const declared = c.req.header("Content-Length");
    const length = declared === undefined ? Number.NaN : Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new ApiError("length_required", "Send the archive's size as Content-Length.");
    }
    const max = c.get("deps").config.maxCacheBytes;
    if (length > max) {
      throw new ApiError("payload_too_large", `The archive is larger than the limit of ${max} bytes.`);
    }
    const body = c.req.raw.body;
    if (body === null || length === 0) throw new ApiError("invalid_input", "The archive is empty.");
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
    try {
      await c.get("deps").storage.put(storageKeys.cache(projectId, key), counted, {
        contentType: "application/gzip",
        length,
      });
    } catch (error) {
      if (received === length) throw error;
      throw new ApiError("bad_request", `The body did not carry the ${length} bytes of its Content-Length.`);
    }
    return c.json({ key, size: length }, 201);
  });

function cacheKey(key: string): string {
  if (!CACHE_KEY_PATTERN.test(key)) {
    throw new ApiError("invalid_input", "A cache key is a lowercase hex SHA-256 followed by `.tar.gz`.", {
      errors: [{ field: "key", message: "expected <sha256 hex>.tar.gz" }],
    });
  }
  return key;
}

function callbackOf(value: AppEnv["Variables"]["callback"]): { projectId: string; deploymentId: string } {
  if (!value) throw new ApiError("unauthorized", "A build's callback token is required.");
  return value;
}
