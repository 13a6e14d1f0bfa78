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

const PARAM_DESCRIPTIONS: Record<string, string> = {
  project: "the project's id (`prj_…`) or name",
  id: "the deployment's id (`dpl_…`), or the resource's id",
  hash: "the file's SHA-256, lowercase hex",
  secret: "the deploy hook's secret (`mbh_…`)",
};

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

const RATE_HEADERS = {
  "RateLimit-Limit": { schema: { type: "integer" }, description: "the policy's limit" },
  "RateLimit-Remaining": { schema: { type: "integer" }, description: "what is left in the current window" },
  "RateLimit-Reset": { schema: { type: "integer" }, description: "seconds until the whole quota is back" },
};

function responses(op: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const success: Record<string, unknown> = { description: op.success.description };
  if (op.success.status !== 204 && op.success.status !== 101) {
    success.content = { [op.success.contentType ?? "application/json"]: {} };
  }
  if (op.rateLimit.length > 0) success.headers = RATE_HEADERS;
  out[String(op.success.status)] = success;
  const errors: Record<number, string> = {};
  if (op.body?.type === "json") {
    errors[400] = "malformed JSON, wrong types or unknown fields (`errors` names them)";
    errors[413] = "the body is too large";
    errors[415] = "the body is not `application/json`";
    errors[422] = "a field has a wrong value (`errors` names it)";
  }
  if (op.query) errors[400] ??= "a query parameter of the wrong type";
  if (op.query) errors[422] ??= "a query parameter with a wrong value";
  if (op.auth !== "none") errors[401] = "no credential, or one that is unknown, revoked or expired";
  if (op.auth !== "none" && pathParams(op.path).length > 0) errors[404] = "no such resource, or not yours";
  if (op.rateLimit.length > 0) errors[429] = "rate limited: see `Retry-After`";
  for (const [status, description] of Object.entries(op.errors ?? {})) {
    if (description) errors[Number(status)] = description;
  }
  for (const [status, description] of Object.entries(errors)) {
    const res: Record<string, unknown> = problem(description);
    if (status === "429") res.headers = { ...RATE_HEADERS, "Retry-After": { schema: { type: "integer" } } };
    out[status] = res;
  }
  return out;
}

const SECURITY: Record<Operation["auth"], JsonSchema[]> = {
  token: [{ bearer: [] }, { session: [] }],
  callback: [{ callback: [] }],
  "token-or-callback": [{ bearer: [] }, { session: [] }, { callback: [] }],
  session: [{ session: [] }],
  none: [],
};

/** The API's OpenAPI 3.1 document, built from the registry and the routes' own zod schemas. */
export function openApiDocument(version: string, serverUrl: string): JsonSchema {
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
      parameters: parameters(op),
      ...(op.body ? { requestBody: requestBody(op) } : {}),
      responses: responses(op),
    };
  }
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
      schemas: {
        Problem: {
          type: "object",
          required: ["type", "title", "status", "code", "requestId"],
          properties: {
            type: { type: "string" },
            title: { type: "string" },
            status: { type: "integer" },
            code: { type: "string" },
            detail: { type: "string" },
            requestId: { type: "string" },
            errors: {
              type: "array",
              items: {
                type: "object",
                properties: { field: { type: "string" }, message: { type: "string" } },
              },
            },
          },
        },
      },
    },
  };
}
