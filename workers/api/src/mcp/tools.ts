// The MCP tools are the contract's declared operations (docs/mcp.md): one tool per route an API token may
// call, named by its operationId, described by its summary, taking its path parameters, query and JSON body
// as one flat object. Nothing here names a route: declaring one adds its tool.
import { type DeclaredRoute, declaredRoutes } from "@miaobu/contract";
import type { TokenScope } from "@miaobu/db";
import type { Tool as McpTool } from "@modelcontextprotocol/server";
import { z } from "zod";
import { hasScope } from "../services/tokens/scopes.ts";

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

type Location = "params" | "query" | "body";

/** One tool: what `tools/list` shows, and how a call becomes a request to the route. */
export interface Tool {
  name: string;
  description: string;
  inputSchema: McpTool["inputSchema"];
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean };
  /** The scope a token needs to see and call it. */
  scope: TokenScope;
  route: DeclaredRoute;
  /** Where each argument goes. */
  locations: Map<string, Location>;
}

/** A request a tool call makes: method, path with its query, and the JSON body if any. */
export interface ToolRequest {
  method: string;
  path: string;
  body?: string;
}

// Routes an API token can call; callback routes are the builder's and session routes the console's.
const TOKEN_AUTH = new Set(["token", "token-or-callback"]);

/** The scope a tool needs: the route's, but never less than `deploy` for a call that changes something. */
export function toolScope(route: DeclaredRoute): TokenScope {
  const declared = route["x-miaobu"].scope ?? "admin";
  return route.method === "get" || declared !== "read" ? declared : "deploy";
}

function objectSchema(schema: unknown, where: string): JsonSchema {
  const json = z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }) as JsonSchema;
  if (json.type !== "object") throw new Error(`${where}: only an object schema can be a tool's input`);
  return json;
}

function inputsOf(route: DeclaredRoute): [Location, JsonSchema][] {
  const inputs: [Location, JsonSchema][] = [];
  const { params, query, body } = route.request ?? {};
  const where = `${route.operationId} (${route.method.toUpperCase()} ${route.path})`;
  if (params) inputs.push(["params", objectSchema(params, where)]);
  if (query) inputs.push(["query", objectSchema(query, where)]);
  if (body) {
    const media = body.content["application/json"];
    const json = media && "schema" in media ? media.schema : undefined;
    if (!json) throw new Error(`${where}: only a JSON body can be a tool's input`);
    inputs.push(["body", objectSchema(json, where)]);
  }
  return inputs;
}

/** The tool of one declared route; throws when its inputs cannot be one flat object (a name used twice). */
export function toolOf(route: DeclaredRoute): Tool {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const locations = new Map<string, Location>();
  for (const [location, schema] of inputsOf(route)) {
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (locations.has(name)) {
        throw new Error(
          `${route.operationId}: "${name}" is both a ${locations.get(name)} and a ${location} field`,
        );
      }
      locations.set(name, location);
      properties[name] = property;
    }
    required.push(...(schema.required ?? []));
  }
  const scope = toolScope(route);
  const policy = [`${route.method.toUpperCase()} ${route.path}`, `needs the "${scope}" scope`];
  const method = route.method;
  return {
    name: route.operationId,
    description: [route.summary, route.description, `(${policy.join("; ")})`].filter(Boolean).join(". "),
    inputSchema: {
      type: "object",
      properties,
      required,
      additionalProperties: false,
    } as McpTool["inputSchema"],
    annotations: {
      readOnlyHint: method === "get",
      // POST creates; PATCH, PUT and DELETE change or remove what exists.
      destructiveHint: method !== "get" && method !== "post",
      idempotentHint: method !== "post" && method !== "patch",
    },
    scope,
    route,
    locations,
  };
}

let cached: Tool[] | undefined;

/** Whether a route answers JSON or nothing, which a tool's result can carry (a file's bytes it cannot). */
function answersJson(route: DeclaredRoute): boolean {
  return Object.entries(route.responses).every(([status, response]) => {
    const content = Number(status) < 400 && response && "content" in response ? response.content : undefined;
    return !content || "application/json" in content || "application/problem+json" in content;
  });
}

/**
 * Every tool, one per declared route that an API token may call, built once per isolate. Routes that take raw
 * bytes (blob uploads) or answer them (a file's bytes) are for the CLI and the builder, not for a model.
 */
export function allTools(): Tool[] {
  cached ??= declaredRoutes
    .filter(
      (route) =>
        TOKEN_AUTH.has(route["x-miaobu"].auth) && route["x-miaobu"].rawBody === null && answersJson(route),
    )
    .map(toolOf);
  return cached;
}

/** The tools a token with these scopes may call. */
export function toolsFor(scopes: readonly TokenScope[]): Tool[] {
  return allTools().filter((tool) => hasScope(scopes, tool.scope));
}

/** The request a call makes, or why the arguments cannot make one. */
export function requestOf(tool: Tool, args: Record<string, unknown>): ToolRequest | { error: string } {
  const takes = `${tool.name} takes ${[...tool.locations.keys()].join(", ") || "no arguments"}`;
  const unknown = Object.keys(args).filter((name) => !tool.locations.has(name));
  if (unknown.length > 0) return { error: `Unknown arguments ${unknown.join(", ")}: ${takes}.` };
  const query = new URLSearchParams();
  const body: Record<string, unknown> = {};
  let path = tool.route.path;
  for (const [name, value] of Object.entries(args)) {
    const location = tool.locations.get(name);
    if (location === "params") path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
    else if (location === "query" && value !== undefined && value !== null) query.set(name, String(value));
    else if (location === "body") body[name] = value;
  }
  const missing = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  if (missing.length > 0) return { error: `Missing arguments ${missing.join(", ")}: ${takes}.` };
  const search = query.size > 0 ? `?${query}` : "";
  const request: ToolRequest = { method: tool.route.method.toUpperCase(), path: `${path}${search}` };
  if (tool.route.request?.body) request.body = JSON.stringify(body);
  return request;
}
