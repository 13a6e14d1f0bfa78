import { type ErrorCode, type FieldError, type MissingBlob, PROBLEMS } from "@miaobu/contract";
import { StorageError } from "@miaobu/storage";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError, type z } from "zod";
import type { AppEnv } from "./env.ts";

export type { ErrorCode, FieldError, MissingBlob };

interface ProblemExtras {
  errors?: FieldError[];
  missing?: MissingBlob[];
}

/** The one error type services and routes throw; `onError` turns it into problem+json. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly extras: ProblemExtras;
  /** Seconds for a `Retry-After` header, for an error that passes on its own (a 503 during a sweep). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, extras: ProblemExtras = {}, retryAfterSeconds?: number) {
    super(detail);
    this.name = "ApiError";
    this.code = code;
    this.extras = extras;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get status(): ContentfulStatusCode {
    return PROBLEMS[this.code].status;
  }
}

/** Shorthand for the 404 that also hides other tenants' resources. */
export function notFound(what: string): ApiError {
  return new ApiError("not_found", `No ${what} with that id or name.`);
}

/** The problem+json response for a code. */
export function problem(
  c: Context<AppEnv>,
  code: ErrorCode,
  detail: string | undefined,
  extras: ProblemExtras = {},
): Response {
  const { status, title } = PROBLEMS[code];
  const requestId = c.get("requestId");
  const body = {
    type: `https://miaobu.dev/problems/${code}`,
    title,
    status,
    code,
    ...(detail ? { detail } : {}),
    requestId,
    ...extras,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/problem+json", "X-Request-Id": requestId ?? "" },
  });
}

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "invalid_input",
};

/** `files[3].path` from a zod issue path. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(body)";
}

/** Field errors from a zod error, with unknown keys named one by one. */
export function zodFieldErrors(error: z.core.$ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ field: fieldName([...issue.path, key]), message: "unknown field" });
      }
    } else {
      out.push({ field: fieldName(issue.path), message: issue.message });
    }
  }
  return out;
}

/** Turns any thrown error into problem+json; unknown ones are logged with their stack and answered bare. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) {
    const res = problem(c, err.code, err.message, err.extras);
    if (err.retryAfterSeconds !== undefined) res.headers.set("Retry-After", String(err.retryAfterSeconds));
    return res;
  }
  if (err instanceof HTTPException) {
    const code = STATUS_CODES[err.status] ?? (err.status >= 500 ? "internal" : "bad_request");
    return problem(c, code, code === "internal" ? undefined : err.message);
  }
  if (err instanceof ZodError) {
    return problem(c, "bad_request", "The request does not have the expected shape.", {
      errors: zodFieldErrors(err),
    });
  }
  console.error(
    JSON.stringify({
      level: "error",
      requestId: c.get("requestId"),
      method: c.req.method,
      // The route's pattern, not the path: a deploy hook's secret is in its path.
      route: routePath(c, -1),
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    }),
  );
  // The store answered 5xx or the connection broke: worth a retry, which the CLI and the builder make.
  if (err instanceof StorageError && err.code === "unavailable") {
    const res = problem(c, "unavailable", "The file store did not answer; try again in a moment.");
    res.headers.set("Retry-After", "2");
    return res;
  }
  return problem(c, "internal", undefined);
};

/** A route that does not exist answers like a resource that does not exist. */
export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  problem(c, "not_found", `There is no route ${c.req.method} ${c.req.path}.`);
