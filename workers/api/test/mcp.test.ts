import { exports } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { declaredRoutes, declareRoute } from "@miaobu/contract";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { allTools, toolOf, toolScope } from "../src/mcp/tools.ts";
import { api, expectProblem, newUser, uniqueName } from "./helpers.ts";

/**
 * The official MCP client, talking to the Worker's own fetch: the 2025 `initialize` handshake (`legacy`, what
 * most clients speak) or the 2026-07-28 revision when the server offers it (`auto`).
 */
async function connect(token: string, mode: "legacy" | "auto" = "legacy"): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
  });
  const client = new Client({ name: "miaobu-test", version: "1" }, { versionNegotiation: { mode } });
  await client.connect(transport);
  return client;
}

async function scopedToken(token: string, scopes: string[]): Promise<string> {
  const res = await api("/api/v1/tokens", { token, json: { name: "mcp", scopes, expiresInDays: 1 } });
  return (await res.json<{ token: string }>()).token;
}

const text = (result: { content?: unknown }) =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join("");

describe("MCP tools from the contract", () => {
  it("has one tool per declared operation a token can call, with its inputs", () => {
    const callable = declaredRoutes.filter((route) => route["x-miaobu"].auth.startsWith("token"));
    expect(allTools().map((tool) => tool.name)).toEqual(callable.map((route) => route.operationId));
    for (const tool of allTools()) {
      const { params, query, body } = tool.route.request ?? {};
      const media = body?.content["application/json"];
      const shapes = [params, query, media && "schema" in media ? media.schema : undefined];
      const fields = shapes.flatMap((shape) =>
        shape instanceof z.ZodObject ? Object.keys(shape.shape) : [],
      );
      expect(Object.keys(tool.inputSchema.properties ?? {}).sort()).toEqual(fields.sort());
      expect(tool.description).toContain(tool.route.summary);
    }
  });

  it("makes a tool of a newly declared route, and a write never needs less than deploy", () => {
    const route = declareRoute({
      method: "post",
      path: "/api/v1/things/{thing}/poke",
      operationId: "pokeThing",
      tags: ["things"],
      summary: "Poke a thing",
      auth: "token",
      scope: "read",
      rateLimit: "api",
      request: { params: z.object({ thing: z.string() }), query: z.object({ hard: z.boolean().optional() }) },
      responses: { 204: { description: "poked" } },
    });
    const tool = toolOf(route);
    expect(tool).toMatchObject({ name: "pokeThing", scope: "deploy" });
    expect(tool.inputSchema).toMatchObject({
      required: ["thing"],
      properties: { thing: { type: "string" } },
    });
    expect(tool.annotations).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(toolScope({ ...route, method: "get" })).toBe("read");
  });
});

describe("/mcp", () => {
  it.each([["legacy"], ["auto"]] as const)(
    "%s: lists, creates, reads and deletes projects through the REST routes",
    async (mode) => {
      const { token } = await newUser();
      const client = await connect(token, mode);
      expect(client.getProtocolEra()).toBe(mode === "auto" ? "modern" : "legacy");
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(
        allTools()
          .map((tool) => tool.name)
          .sort(),
      );
      expect(tools.find((tool) => tool.name === "deleteProject")?.annotations?.destructiveHint).toBe(true);

      const name = uniqueName();
      const created = await client.callTool({ name: "createProject", arguments: { name } });
      expect(created.isError).toBeFalsy();
      expect(created.structuredContent).toMatchObject({ project: { name } });
      const listed = await client.callTool({ name: "listProjects", arguments: { limit: 10 } });
      expect(JSON.parse(text(listed)).projects.map((p: { name: string }) => p.name)).toContain(name);
      const deleted = await client.callTool({ name: "deleteProject", arguments: { project: name } });
      expect(text(deleted)).toBe("204 deleted");
      const gone = await client.callTool({ name: "getProject", arguments: { project: name } });
      expect(gone.isError).toBe(true);
      expect(JSON.parse(text(gone))).toMatchObject({ status: 404, code: "not_found" });
      await client.close();
    },
  );

  it("answers the route's own validation errors and refuses arguments the tool does not take", async () => {
    const client = await connect((await newUser()).token);
    const invalid = await client.callTool({ name: "createProject", arguments: { name: "my_site" } });
    expect(invalid.isError).toBe(true);
    expect(JSON.parse(text(invalid))).toMatchObject({ status: 422, code: "invalid_input" });
    const unknown = await client.callTool({ name: "getProject", arguments: { project: "x", colour: "red" } });
    expect(unknown).toMatchObject({ isError: true });
    expect(text(unknown)).toContain("Unknown arguments colour");
    await expect(client.callTool({ name: "noSuchTool", arguments: {} })).rejects.toThrow(/noSuchTool/);
    await client.close();
  });

  it("shows a read-only token only the read tools and refuses the others", async () => {
    const reader = await scopedToken((await newUser()).token, ["read"]);
    const client = await connect(reader);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      allTools()
        .filter((tool) => tool.scope === "read")
        .map((tool) => tool.name)
        .sort(),
    );
    const refused = await client.callTool({ name: "createProject", arguments: { name: uniqueName() } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain(
      'insufficient_scope: this token has the scopes read; createProject needs "admin"',
    );
    await client.close();
  });

  it("answers 401 problem+json without a valid API token, and takes no session cookie", async () => {
    const initialize = { jsonrpc: "2.0", id: 1, method: "ping" };
    const none = await api("/mcp", { json: initialize });
    await expectProblem(none, 401, "unauthorized");
    await expectProblem(await api("/mcp", { json: initialize, token: "mb_nope" }), 401, "unauthorized");
    const cookie = await api("/mcp", { json: initialize, headers: { Cookie: "miaobu_session=x" } });
    expect(cookie.status).toBe(401);
    await expect(connect("mb_nope")).rejects.toThrow(/401|nauthorized/);
  });

  it("is stateless: GET and DELETE answer 405", async () => {
    const { token } = await newUser();
    for (const method of ["GET", "DELETE"]) {
      const res = await api("/mcp", { method, token, headers: { Accept: "text/event-stream" } });
      expect(res.status).toBe(405);
    }
  });
});
