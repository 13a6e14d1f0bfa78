// The one error model: every error the API answers is one of these codes, as application/problem+json.
import { z } from "@hono/zod-openapi";

/** Each error code, its status and its title; `ApiError` (workers/api/src/errors.ts) throws these. */
export const PROBLEMS = {
  bad_request: { status: 400, title: "The request is malformed" },
  unauthorized: { status: 401, title: "Authentication required" },
  token_expired: { status: 401, title: "The token has expired" },
  invalid_credentials: { status: 401, title: "Wrong email or password" },
  forbidden: { status: 403, title: "Not allowed" },
  insufficient_scope: { status: 403, title: "The token lacks the scope this needs" },
  not_found: { status: 404, title: "Not found" },
  conflict: { status: 409, title: "Conflict" },
  gone: { status: 410, title: "Gone" },
  length_required: { status: 411, title: "Content-Length required" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  invalid_input: { status: 422, title: "The input is invalid" },
  hash_mismatch: { status: 422, title: "The body does not match its hash" },
  missing_blobs: { status: 422, title: "Some files were never uploaded" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal error" },
  bad_gateway: { status: 502, title: "A service behind the API failed" },
  unavailable: { status: 503, title: "Temporarily unavailable" },
} as const satisfies Record<
  string,
  { status: 400 | 401 | 403 | 404 | 409 | 410 | 411 | 413 | 415 | 422 | 429 | 500 | 502 | 503; title: string }
>;

export type ErrorCode = keyof typeof PROBLEMS;
export type ErrorStatus = (typeof PROBLEMS)[ErrorCode]["status"];

const ERROR_CODES = Object.keys(PROBLEMS) as [ErrorCode, ...ErrorCode[]];

/** A field the request got wrong: `files[3].path` and what is wrong with it. */
export const fieldErrorSchema = z.object({ field: z.string(), message: z.string() });
export type FieldError = z.infer<typeof fieldErrorSchema>;

/** A blob a deployment's manifest names that was never uploaded, and the paths that use it. */
export const missingBlobSchema = z.object({ hash: z.string(), paths: z.array(z.string()) });
export type MissingBlob = z.infer<typeof missingBlobSchema>;

/** The body of every error answer (RFC 9457). */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(ERROR_CODES),
    detail: z.string().optional(),
    requestId: z.string(),
    errors: z.array(fieldErrorSchema).optional(),
    missing: z.array(missingBlobSchema).optional(),
  })
  .openapi("Problem");
export type Problem = z.infer<typeof problemSchema>;
