// `/mcp`: the API's operations as MCP tools over streamable HTTP (docs/mcp.md). A tool call is a request to
// the API itself, in process, with the caller's token, so authentication, scopes, rate limits, body limits and
// validation are the REST route's own.
import type { TokenScope } from "@miaobu/db";
import {
  type CallToolResult,
  createMcpHandler,
  ProtocolError,
  ProtocolErrorCode,
  Server,
} from "@modelcontextprotocol/server";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { authenticateToken } from "../services/tokens/authenticate.ts";
import { hasScope } from "../services/tokens/scopes.ts";
import { allTools, requestOf, type Tool, type ToolRequest, toolsFor } from "./tools.ts";

/** How a tool reaches the API: the Worker's own `fetch`. */
export type ApiFetch = (
  request: Request,
  env: Env,
  ctx?: Context<AppEnv>["executionCtx"],
) => Response | Promise<Response>;

const SERVER_INFO = { name: "miaobu", version: "1" };

function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text }] };
}

/** The route's answer as a tool result: its JSON (or its status) on success, its problem+json otherwise. */
async function resultOf(tool: Tool, res: Response): Promise<CallToolResult> {
  const text = await res.text();
  if (!res.ok) return errorResult(text || `${res.status} ${res.statusText}`);
  if (!text) {
    const declared = Object.entries(tool.route.responses).find(([status]) => status === String(res.status));
    const described =
      declared?.[1] && "description" in declared[1] ? declared[1].description : res.statusText;
    return { content: [{ type: "text", text: `${res.status} ${described}` }] };
  }
  const json: unknown = JSON.parse(text);
  const structured = typeof json === "object" && json !== null && !Array.isArray(json);
  return {
    content: [{ type: "text", text }],
    ...(structured ? { structuredContent: json as Record<string, unknown> } : {}),
  };
}

/** One server per request: it lists the tools these scopes allow and calls them through `call`. */
function mcpServer(scopes: readonly TokenScope[], call: (request: ToolRequest) => Promise<Response>) {
  const server = new Server(SERVER_INFO, { capabilities: { tools: {} } });
  server.setRequestHandler("tools/list", () => ({
    tools: toolsFor(scopes).map(({ name, description, inputSchema, annotations }) => ({
      name,
      description,
      inputSchema,
      annotations,
    })),
  }));
  server.setRequestHandler("tools/call", async (request) => {
    const { name, arguments: args = {} } = request.params;
    const tool = allTools().find((t) => t.name === name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool ${name}.`);
    if (!hasScope(scopes, tool.scope)) {
      return errorResult(
        `insufficient_scope: this token has the scopes ${scopes.join(", ") || "(none)"}; ${name} needs "${tool.scope}".`,
      );
    }
    const made = requestOf(tool, args);
    if ("error" in made) return errorResult(made.error);
    return server.projectCallToolResult(await resultOf(tool, await call(made)), undefined);
  });
  return server;
}

function executionCtxOf(c: Context<AppEnv>): Context<AppEnv>["executionCtx"] | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * The MCP endpoint. Only API tokens (`Authorization: Bearer mb_…`): no session cookie, so no page can drive it
 * with a signed-in browser's credentials. Any scope may connect; the scopes decide which tools it sees.
 */
export function mcpRoutes(apiFetch: ApiFetch) {
  return new Hono<AppEnv>().all("/", async (c) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!token) {
      throw new ApiError(
        "unauthorized",
        "Send an API token as `Authorization: Bearer mb_…`; see docs/mcp.md.",
      );
    }
    const { tokenId, scopes } = await authenticateToken(c.get("deps"), token);
    const call = (made: ToolRequest) => {
      const headers = new Headers({ Authorization: `Bearer ${token}` });
      const address = c.req.header("CF-Connecting-IP");
      if (address) headers.set("CF-Connecting-IP", address);
      if (made.body !== undefined) headers.set("Content-Type", "application/json");
      const init = { method: made.method, headers, body: made.body ?? null };
      return Promise.resolve(
        apiFetch(new Request(new URL(made.path, c.req.url), init), c.env, executionCtxOf(c)),
      );
    };
    // One JSON answer per request: no tool sends anything before its result, so nothing upgrades to SSE.
    const handler = createMcpHandler(() => mcpServer(scopes, call));
    return handler.fetch(c.req.raw, { authInfo: { token, clientId: tokenId, scopes: [...scopes] } });
  });
}
