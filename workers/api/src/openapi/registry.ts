import type { AuthKind } from "@miaobu/contract";
import type { ZodObject, ZodType } from "zod";
import type { PolicyName } from "../services/ratelimit/policies.ts";

export type { AuthKind };

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** A request body: JSON checked by a zod schema, raw bytes, or multipart parts. */
export type Body =
  | { type: "json"; schema: ZodType; optional?: boolean; example?: unknown }
  | { type: "octet-stream" }
  | { type: "multipart" };

/** One route of the API as the document describes it; the registry is a list of these. */
export interface Operation {
  method: Method;
  /** The route's Hono pattern: `/api/v1/projects/:project`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: AuthKind;
  body?: Body;
  /** The zod schema the route validates its query with. */
  query?: ZodObject;
  /** The success status and its meaning; errors are added from the rest of the operation. */
  success: { status: number; description: string; contentType?: string };
  /** Error statuses this route answers besides the ones every route of its kind answers. */
  errors?: Partial<Record<number, string>>;
  /** The policies that limit it (docs/rate-limits.md); none for the probes. */
  rateLimit: PolicyName[];
}

/** `/api/v1/projects/:project` → `/api/v1/projects/{project}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** The `:name` parameters of a route pattern. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? "");
}
