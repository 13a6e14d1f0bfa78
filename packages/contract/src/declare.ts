// How a route is declared: the OpenAPI operation (zod-openapi's `createRoute`) and Miaobu's policy for it in
// one object, which the API serves, guards and limits by, and the OpenAPI document is generated from.
import { createRoute, type RouteConfig, type z } from "@hono/zod-openapi";
import type { TokenScope } from "@miaobu/shared/scopes";
import { problemSchema } from "./problems.ts";

/** How a route is authenticated. */
export type AuthKind =
  /** An API token (`Bearer mb_…`) or the console's session cookie. */
  | "token"
  /** A build's callback token (`Bearer mbd_…`), for its own deployment only. */
  | "callback"
  /** An API token or, on upload routes, a build's callback token for the deployment the `{id}` path names. */
  | "token-or-callback"
  /** The console's session cookie only. */
  | "session"
  /** Nothing, or a secret in the path. */
  | "none";

/**
 * The rate-limit policy the API's middleware charges (docs/rate-limits.md): `api` per credential (and
 * `unauthenticated` per IP for a request without one), `login` per IP, `blobs` and `logs` per deployment (the
 * `{id}` the path names) and credential, `none` for probes.
 */
export type RateLimitKind = "api" | "login" | "blobs" | "logs" | "none";

/** A body that is not JSON: raw bytes, or multipart parts named by their hashes; the route reads it itself. */
export type RawBody = "octet-stream" | "multipart";

/** Body limits the operator configures (the API's `Config`), which a declaration may name instead of a number. */
export type ConfiguredLimit = "maxManifestBytes" | "maxFileBytes" | "maxBatchBytes" | "maxCacheBytes";

/** The most bytes a body may have: a number, or the configured limit of that name. */
export type BodyLimit = number | { config: ConfiguredLimit };

/** Miaobu's part of a declaration, kept in the operation as the `x-miaobu` extension. */
export interface RoutePolicy {
  auth: AuthKind;
  /** The scope a token needs; null for routes without a token. */
  scope: TokenScope | null;
  rateLimit: RateLimitKind;
  /** The most bytes the body may have (declared or read): a JSON body's default is SMALL_BODY_BYTES; null: no
   * body, the API's ceiling for any request. */
  bodyLimit: BodyLimit | null;
  /** A body the route reads itself (no JSON validation); null: JSON or none. */
  rawBody: RawBody | null;
}

/** A JSON body (or none) at most this long, unless a route says otherwise. */
export const SMALL_BODY_BYTES = 64 * 1024;

type Status = 101 | 200 | 201 | 202 | 204 | 302 | 304;

interface Declaration extends Omit<RouteConfig, "responses" | "security" | "middleware" | "hide"> {
  method: "get" | "post" | "put" | "patch" | "delete";
  operationId: string;
  tags: [string];
  summary: string;
  auth: AuthKind;
  scope?: TokenScope;
  rateLimit: RateLimitKind;
  bodyLimit?: BodyLimit;
  /** A non-JSON body, described in the document but read by the route (give `bodyLimit` with it). */
  rawBody?: { type: RawBody; description: string };
  /** The success answers; the error answers are added from the rest of the declaration and `errors`. */
  responses: Partial<Record<Status, RouteConfig["responses"][string]>>;
  /** Error statuses this route answers besides the ones every route of its kind answers. */
  errors?: Partial<Record<number, string>>;
}

/** A declared route: zod-openapi's route config with the policy under `x-miaobu`. */
export type DeclaredRoute<D extends Declaration = Declaration> = Omit<
  D,
  "auth" | "scope" | "rateLimit" | "bodyLimit" | "rawBody" | "errors"
> & { "x-miaobu": RoutePolicy; getRoutingPath(): string };

export const SECURITY: Record<AuthKind, Record<string, string[]>[]> = {
  token: [{ bearer: [] }, { session: [] }],
  callback: [{ callback: [] }],
  "token-or-callback": [{ bearer: [] }, { session: [] }, { callback: [] }],
  session: [{ session: [] }],
  none: [],
};

export const RATE_HEADERS = {
  "RateLimit-Limit": { schema: { type: "integer" }, description: "the policy's limit" },
  "RateLimit-Remaining": { schema: { type: "integer" }, description: "what is left in the current window" },
  "RateLimit-Reset": { schema: { type: "integer" }, description: "seconds until the whole quota is back" },
} as const;

/** What a route's shape says about the errors it answers. */
export interface ErrorShape {
  auth: AuthKind;
  jsonBody: boolean;
  query: boolean;
  pathParams: boolean;
  rateLimited: boolean;
  errors?: Partial<Record<number, string>> | undefined;
}

/** The error statuses a route answers and what each means, from its shape. */
export function errorDescriptions(shape: ErrorShape): Record<number, string> {
  const out: Record<number, string> = {};
  if (shape.jsonBody) {
    out[400] = "malformed JSON, wrong types or unknown fields (`errors` names them)";
    out[413] = "the body is too large";
    out[415] = "the body is not `application/json`";
    out[422] = "a field has a wrong value (`errors` names it)";
  }
  if (shape.query) out[400] ??= "a query parameter of the wrong type";
  if (shape.query) out[422] ??= "a query parameter with a wrong value";
  if (shape.auth !== "none") out[401] = "no credential, or one that is unknown, revoked or expired";
  if (shape.auth !== "none" && shape.pathParams) out[404] = "no such resource, or not yours";
  if (shape.rateLimited) out[429] = "rate limited: see `Retry-After`";
  for (const [status, description] of Object.entries(shape.errors ?? {})) {
    if (description) out[Number(status)] = description;
  }
  return out;
}

/** A JSON answer described by a zod schema. */
export function jsonResponse<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { "application/json": { schema } } };
}

/** A JSON request body checked by `schema`, with an example; an optional one may be left out (read as `{}`). */
export function jsonRequest<S extends z.ZodType>(schema: S, example: unknown, { required = true } = {}) {
  return { required, content: { "application/json": { schema, example } } };
}

const RAW_CONTENT = {
  "octet-stream": {
    "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream" } },
  },
  multipart: {
    "multipart/form-data": {
      schema: {
        type: "object",
        additionalProperties: { type: "string", contentMediaType: "application/octet-stream" },
      },
    },
  },
} as const;

/** Declares a route once: its operation, its request and response schemas, and its policy. */
export function declareRoute<const D extends Declaration>(declaration: D): DeclaredRoute<D> {
  const { auth, scope, rateLimit, bodyLimit, rawBody, errors, responses, ...operation } = declaration;
  const rateLimited = rateLimit !== "none";
  const all: RouteConfig["responses"] = {};
  for (const [status, response] of Object.entries(responses)) {
    all[status] = rateLimited && response ? { ...response, headers: RATE_HEADERS } : response;
  }
  const shape = {
    auth,
    jsonBody: operation.request?.body !== undefined,
    query: operation.request?.query !== undefined,
    pathParams: operation.path.includes("{"),
    rateLimited,
    errors: rawBody
      ? {
          413: "the body is too large",
          415: `the body is not \`${Object.keys(RAW_CONTENT[rawBody.type])[0]}\``,
          ...errors,
        }
      : errors,
  };
  for (const [status, description] of Object.entries(errorDescriptions(shape))) {
    all[status] = {
      description,
      ...(status === "429"
        ? { headers: { ...RATE_HEADERS, "Retry-After": { schema: { type: "integer" } } } }
        : {}),
      content: { "application/problem+json": { schema: problemSchema } },
    };
  }
  const policy: RoutePolicy = {
    auth,
    scope: scope ?? null,
    rateLimit,
    bodyLimit: bodyLimit ?? (shape.jsonBody ? SMALL_BODY_BYTES : null),
    rawBody: rawBody?.type ?? null,
  };
  const request = rawBody
    ? {
        ...operation.request,
        body: { required: true, description: rawBody.description, content: RAW_CONTENT[rawBody.type] },
      }
    : operation.request;
  const route = createRoute({
    ...operation,
    ...(request ? { request } : {}),
    security: SECURITY[auth],
    responses: all,
    "x-miaobu": policy,
  });
  return route as unknown as DeclaredRoute<D>;
}

/** `/api/v1/projects/{project}` → `/api/v1/projects/:project`, the pattern Hono routes by. */
export function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}
