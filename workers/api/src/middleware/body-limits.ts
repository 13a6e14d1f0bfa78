import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { bodyLimitOf, declaredPolicy } from "./declared.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

/** Deepest nesting of arrays and objects a JSON body may have; the API's deepest schema needs 4. */
export const MAX_JSON_DEPTH = 32;

/**
 * Routes not declared in the contract yet whose bodies are large by design, by method and path; a declared
 * route names its own limit (packages/contract), and everything else gets DEFAULT_MAX.
 */
export const LARGE: { method: string; path: RegExp; max: (c: Context<AppEnv>) => number }[] = [
  {
    method: "PUT",
    path: /^\/api\/v1\/deployments\/[^/]+\/blobs\/[^/]+$/,
    max: (c) => c.get("deps").config.maxFileBytes,
  },
  {
    method: "POST",
    path: /^\/api\/v1\/deployments\/[^/]+\/blobs$/,
    // The parts plus their multipart framing.
    max: (c) => c.get("deps").config.maxBatchBytes + MIB,
  },
  {
    method: "POST",
    path: /^\/api\/v1\/builds\/[^/]+\/manifest$/,
    max: (c) => c.get("deps").config.maxManifestBytes,
  },
  {
    method: "PUT",
    path: /^\/api\/v1\/builds\/[^/]+\/cache\/[^/]+$/,
    max: (c) => c.get("deps").config.maxCacheBytes,
  },
  // GitHub sends webhook payloads of up to 25 MB.
  { method: "POST", path: /^\/api\/v1\/hooks\/github$/, max: () => 25 * MIB },
];

/** No other route takes more than a build-log batch (320 KiB); a megabyte is a generous ceiling. */
const DEFAULT_MAX = MIB;

/**
 * Refuses with 413, before any route reads it, a body whose declared length passes the route's ceiling.
 * The routes that read bodies also bound what they read (`readBody`), so a body without `Content-Length`
 * cannot pass either; this ceiling covers routes that never read their body.
 */
export const bodyLimits = createMiddleware<AppEnv>(async (c, next) => {
  const declared = c.req.header("Content-Length");
  if (declared !== undefined) {
    const length = Number(declared);
    const policy = declaredPolicy(c);
    const route = policy
      ? undefined
      : LARGE.find((r) => r.method === c.req.method && r.path.test(c.req.path));
    const max = (policy && bodyLimitOf(policy, c.get("deps").config)) ?? route?.max(c) ?? DEFAULT_MAX;
    if (!Number.isFinite(length) || length < 0) {
      throw new ApiError("bad_request", "The Content-Length header is not a number.");
    }
    if (length > max) {
      throw new ApiError("payload_too_large", `The request body is larger than the limit of ${max} bytes.`);
    }
  }
  await next();
});

/** How deeply arrays and objects nest in JSON text, found without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) max = Math.max(max, ++depth);
    else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}

/**
 * Checks a JSON body before the validator parses it: malformed JSON answers 400 naming where it broke, and
 * nesting past MAX_JSON_DEPTH answers 400, so no input reaches a schema in a shape it could choke on.
 */
export function checkJson(bytes: Uint8Array): void {
  if (bytes.byteLength === 0) return;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("bad_request", "The body is not valid UTF-8.", {
      errors: [{ field: "(body)", message: "invalid UTF-8" }],
    });
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new ApiError("bad_request", `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`, {
      errors: [{ field: "(body)", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }],
    });
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new ApiError("bad_request", "The body is not valid JSON.", {
      errors: [{ field: "(body)", message: error instanceof Error ? error.message : "malformed JSON" }],
    });
  }
}
