import { declaredRoutes } from "@miaobu/contract";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { operations } from "../src/openapi/operations.ts";
import { openApiPath } from "../src/openapi/registry.ts";
import { api } from "./helpers.ts";

interface Doc {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
}

async function fetchDocument(): Promise<Doc> {
  const res = await api("/api/v1/openapi.json");
  expect(res.status).toBe(200);
  return res.json<Doc>();
}

describe("the OpenAPI document", () => {
  it("documents every route of the app, and nothing else", async () => {
    const doc = await fetchDocument();
    // `use` middleware is registered as method ALL; every real route has a method.
    const routes = new Set(
      worker.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`)),
    );
    expect(
      [...routes].filter((r) => !documented.has(r)),
      "routes missing from the document",
    ).toEqual([]);
    expect(
      [...documented].filter((r) => !routes.has(r)),
      "documented routes that do not exist",
    ).toEqual([]);
  });

  it("is OpenAPI 3.1 with unique operation ids and the body schemas of the routes", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(operations.length + declaredRoutes.length);
    const create = doc.paths["/api/v1/projects/{project}/deployments"]?.post as unknown as {
      requestBody: { content: { "application/json": { schema: Record<string, unknown> } } };
      responses: Record<string, unknown>;
    };
    const schema = create.requestBody.content["application/json"].schema;
    expect(schema).toMatchObject({ type: "object", additionalProperties: false, required: ["files"] });
    expect(Object.keys(create.responses).sort()).toEqual([
      "201",
      "400",
      "401",
      "404",
      "413",
      "415",
      "422",
      "429",
    ]);
  });

  it("serves a self-contained reference page", async () => {
    const res = await api("/api/v1/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await res.text();
    expect(html).not.toMatch(/<script|https?:\/\/(?!miaobu)[^"]*\.(js|css)/);
    for (const op of operations) expect(html).toContain(openApiPath(op.path).replace(/&/g, "&amp;"));
  });
});
