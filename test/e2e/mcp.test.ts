// The MCP endpoint on the real platform (the API Worker in workerd), driven by the official MCP client over
// streamable HTTP with the token `miaobu login` saved, as an MCP client configured per docs/mcp.md would be.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginAdmin, savedToken, startTestPlatform, type TestPlatform } from "../support/platform.ts";

let t: TestPlatform;
let token: string;

beforeAll(async () => {
  t = await startTestPlatform();
  await loginAdmin(t);
  token = await savedToken(t);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

async function connect(bearer: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${t.platform.apiUrl}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
  });
  const client = new Client({ name: "miaobu-e2e", version: "1" });
  await client.connect(transport);
  return client;
}

const text = (result: { content?: unknown }) =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join("");

describe("/mcp on the platform", () => {
  it("initializes, lists the project tools, and creates and lists a project", async () => {
    const client = await connect(token);
    expect(client.getServerVersion()?.name).toBe("miaobu");
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "createProject",
        "listProjects",
        "getProject",
        "updateProject",
        "deleteProject",
      ]),
    );
    const created = await client.callTool({ name: "createProject", arguments: { name: "from-mcp" } });
    expect(created.isError, text(created)).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ project: { name: "from-mcp" } });
    const listed = await client.callTool({ name: "listProjects", arguments: {} });
    expect(listed.structuredContent).toMatchObject({ projects: [{ name: "from-mcp" }] });
    // The same project over REST: the tool called the route, not a copy of it.
    const rest = await fetch(`${t.platform.apiUrl}/api/v1/projects/from-mcp`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(rest.status).toBe(200);
    // A group declared after the MCP endpoint was written: its tools came with its declarations.
    const deployments = await client.callTool({
      name: "listDeployments",
      arguments: { project: "from-mcp" },
    });
    expect(deployments.structuredContent).toEqual({ deployments: [], nextCursor: null });
    await client.close();
  });

  it("shows a read-only token the read tools only and refuses a write", async () => {
    const res = await fetch(`${t.platform.apiUrl}/api/v1/tokens`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "mcp-reader", scopes: ["read"], expiresInDays: 1 }),
    });
    expect(res.status).toBe(201);
    const reader = ((await res.json()) as { token: string }).token;
    const client = await connect(reader);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("listProjects");
    expect(names).not.toContain("createProject");
    expect(names).not.toContain("deleteProject");
    const refused = await client.callTool({ name: "deleteProject", arguments: { project: "from-mcp" } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain("insufficient_scope");
    await client.close();
  });

  it("answers 401 problem+json without a token, and the client does not connect", async () => {
    const res = await fetch(`${t.platform.apiUrl}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("unauthorized");
    await expect(connect("mb_not-a-token")).rejects.toThrow(/401|nauthorized/);
  });
});
