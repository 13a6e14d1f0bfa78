import { OpenAPIHono } from "@hono/zod-openapi";
import {
  declaredRoutes,
  errorDescriptions,
  pathParams as PATH_PARAMS,
  RATE_HEADERS,
  SECURITY,
} from "@miaobu/contract";
import { z } from "zod";
import { POLICY_DEFAULTS } from "../services/ratelimit/policies.ts";
import { operations } from "./operations.ts";
import { type Operation, openApiPath, pathParams } from "./registry.ts";

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), describing what a client sends. */
function schemaOf(schema: z.ZodType): JsonSchema {
  const out: JsonSchema = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  delete out.$schema;
  return out;
}

const PARAM_DESCRIPTIONS: Record<string, string | undefined> = Object.fromEntries(
  Object.entries(PATH_PARAMS).map(([name, schema]) => [name, schema.description]),
);

function parameters(op: Operation): JsonSchema[] {
  const out: JsonSchema[] = pathParams(op.path).map((name) => ({
    name,
    in: "path",
    required: true,
    description: PARAM_DESCRIPTIONS[name] ?? name,
    schema: { type: "string" },
  }));
  if (op.query) {
    for (const [name, field] of Object.entries(op.query.shape)) {
      const schema = field as z.ZodType;
      out.push({
        name,
        in: "query",
        required: !schema.safeParse(undefined).success,
        schema: schemaOf(schema),
      });
    }
  }
  return out;
}

function requestBody(op: Operation): JsonSchema | undefined {
  const body = op.body;
  if (!body) return undefined;
  if (body.type === "octet-stream") {
    return {
      required: true,
      content: {
        "application/octet-stream": {
          schema: { type: "string", contentMediaType: "application/octet-stream" },
        },
      },
    };
  }
  if (body.type === "multipart") {
    return {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            additionalProperties: { type: "string", contentMediaType: "application/octet-stream" },
          },
        },
      },
    };
  }
  const media = {
    schema: schemaOf(body.schema),
    ...(body.example === undefined ? {} : { example: body.example }),
  };
  return { required: !body.optional, content: { "application/json": media } };
}

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

function responses(op: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const success: Record<string, unknown> = { description: op.success.description };
  if (op.success.status !== 204 && op.success.status !== 101) {
    success.content = { [op.success.contentType ?? "application/json"]: {} };
  }
  if (op.rateLimit.length > 0) success.headers = RATE_HEADERS;
  out[String(op.success.status)] = success;
  const errors = errorDescriptions({
    auth: op.auth,
    jsonBody: op.body?.type === "json",
    query: op.query !== undefined,
    pathParams: pathParams(op.path).length > 0,
    rateLimited: op.rateLimit.length > 0,
    errors: op.errors,
  });
  for (const [status, description] of Object.entries(errors)) {
    const res: Record<string, unknown> = problem(description);
    if (status === "429") res.headers = { ...RATE_HEADERS, "Retry-After": { schema: { type: "integer" } } };
    out[status] = res;
  }
  return out;
}

/** The declared routes' part of the document: paths and the component schemas they refer to. */
function declaredDocument() {
  const generator = new OpenAPIHono();
  for (const route of declaredRoutes) generator.openAPIRegistry.registerPath(route);
  return generator.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "", version: "" } });
}

/**
 * The API's OpenAPI 3.1 document: declared routes generated from the contract (packages/contract), with
 * their response schemas; the others from the hand-written registry and the routes' own zod schemas.
 */
export function openApiDocument(version: string, serverUrl: string): JsonSchema {
  const declared = declaredDocument();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    const item = paths[path] ?? {};
    paths[path] = item;
    const limits = op.rateLimit.map((p) => `\`${p}\``).join(", ");
    item[op.method] = {
      operationId: `${op.method}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, ch?: string) => (ch ?? "").toUpperCase())}`,
      summary: op.summary,
      ...(op.description || limits
        ? {
            description: [op.description, limits ? `Rate limits: ${limits}.` : ""]
              .filter(Boolean)
              .join("\n\n"),
          }
        : {}),
      tags: [op.tag],
      security: SECURITY[op.auth],
      "x-miaobu": { auth: op.auth, rateLimit: op.rateLimit },
      parameters: parameters(op),
      ...(op.body ? { requestBody: requestBody(op) } : {}),
      responses: responses(op),
    };
  }
  for (const [path, item] of Object.entries(declared.paths ?? {})) paths[path] = { ...paths[path], ...item };
  return {
    openapi: "3.1.0",
    info: {
      title: "Miaobu API",
      version,
      description:
        "Build and host static sites from git. Every error is `application/problem+json` with a `requestId`; " +
        `rate limits by default: ${Object.entries(POLICY_DEFAULTS)
          .map(([name, p]) => `${name} ${p.rule.limit} per ${p.rule.windowMs / 1000} s`)
          .join(", ")} (docs/rate-limits.md).`,
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API token, `mb_…`" },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "miaobu_session",
          description: "The console's session",
        },
        callback: { type: "http", scheme: "bearer", description: "A build's callback token, `mbd_…`" },
      },
      schemas: declared.components?.schemas ?? {},
    },
  };
}
