import { zValidator } from "@hono/zod-validator";
import { SMALL_BODY_BYTES } from "@miaobu/contract";
import type { Context, ValidationTargets } from "hono";
import { createMiddleware } from "hono/factory";
import type { ZodType, z } from "zod";
import type { AppEnv } from "./env.ts";
import { ApiError, zodFieldErrors } from "./errors.ts";
import { mediaType, readBody } from "./lib/body.ts";
import { checkJson } from "./middleware/body-limits.ts";

// Wrong shapes are 400; right shapes with wrong values (too long, bad format) are 422, as docs/api.md says.
const SHAPE_ISSUES = new Set(["invalid_type", "unrecognized_keys", "invalid_union", "invalid_key"]);

/** A failed zod validation as the API's 400 or 422. */
export function toApiError(error: z.core.$ZodError): ApiError {
  const shape = error.issues.some((issue) => SHAPE_ISSUES.has(issue.code));
  return shape
    ? new ApiError("bad_request", "The request does not have the expected shape.", {
        errors: zodFieldErrors(error),
      })
    : new ApiError("invalid_input", "Some fields are invalid.", { errors: zodFieldErrors(error) });
}

/** zod validation through @hono/zod-validator, failing with our problem+json. */
export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw toApiError(result.error);
  });
}

/**
 * A request with a body must send JSON (415) within `maxBytes(c)` (413); the body is read here, bounded, so
 * the validator after it parses only what fits. No body, or an empty one, reads as `{}`.
 */
export function jsonBody(maxBytes: (c: Context<AppEnv>) => number = () => SMALL_BODY_BYTES) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.raw.body === null) return next();
    // A bodiless POST from a browser arrives as an empty stream without a Content-Type: that is "no body".
    const empty = c.req.header("Content-Length") === "0";
    if (!empty && mediaType(c.req.header("Content-Type")) !== "application/json") {
      throw new ApiError(
        "unsupported_media_type",
        "Send the body as JSON with Content-Type: application/json.",
      );
    }
    const bytes = await readBody(c.req.raw, maxBytes(c), "The request body");
    if (bytes.byteLength > 0) checkJson(bytes);
    // An empty body reads as `{}`, labelled so, which a declared route's media type check expects.
    const headers = new Headers(c.req.raw.headers);
    if (bytes.byteLength === 0) headers.set("Content-Type", "application/json");
    c.req.raw = new Request(c.req.raw, { body: bytes.byteLength > 0 ? bytes : "{}", headers });
    await next();
  });
}
