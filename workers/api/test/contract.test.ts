import { env } from "cloudflare:workers";
import { declaredRoutes } from "@miaobu/contract";
import { describe, expect, it } from "vitest";
import { configOf } from "../src/env.ts";
import { LARGE } from "../src/middleware/body-limits.ts";
import { BLOBS, EXEMPT, LOGIN, LOGS } from "../src/middleware/rate-limit.ts";
import { operations } from "../src/openapi/operations.ts";
import { ADMIN_READS, DEPLOY_ROUTES } from "../src/services/tokens/scopes.ts";
import { api, createProject, expectProblem, newUser, sha256 } from "./helpers.ts";

// A request path for a route pattern: every parameter filled in.
const sample = (path: string) => path.replace(/\{[^}]+\}/g, "x1");

describe("the contract", () => {
  it("declares each route once: never also in a path list or the hand-written registry", () => {
    const both: string[] = [];
    for (const route of declaredRoutes) {
      const method = route.method.toUpperCase();
      const path = sample(route.path);
      const lists = [
        ADMIN_READS.test(path) && "scopes (ADMIN_READS)",
        DEPLOY_ROUTES.some(([m, p]) => m === method && p.test(path)) && "scopes (DEPLOY_ROUTES)",
        LARGE.some((r) => r.method === method && r.path.test(path)) && "body limits (LARGE)",
        (EXEMPT.has(path) || [LOGIN, BLOBS, LOGS].some((p) => p.test(path))) && "rate limits",
        operations.some((op) => op.method === route.method && op.path === route.getRoutingPath()) &&
          "openapi/operations.ts",
      ];
      for (const list of lists) if (list) both.push(`${method} ${route.path} in ${list}`);
    }
    expect(both).toEqual([]);
  });

  it("checks a declared route's scope from its declaration", async () => {
    const { token } = await newUser();
    const created = await api("/api/v1/tokens", {
      token,
      method: "POST",
      json: { name: "reader", scopes: ["read"], expiresInDays: 1 },
    });
    const reader = (await created.json<{ token: string }>()).token;
    expect((await api("/api/v1/projects", { token: reader })).status).toBe(200);
    const refused = await api("/api/v1/projects", { token: reader, method: "POST", json: { name: "nope" } });
    expect(refused.status).toBe(403);
    expect((await refused.json<{ code: string }>()).code).toBe("insufficient_scope");
  });

  it("reads a body limit the operator configures, named by the declaration", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const path = `/api/v1/projects/${project.name}/deployments`;
    const max = configOf(env).maxManifestBytes;
    // Past a JSON body's default (64 KiB), within the configured limit: accepted.
    const hash = await sha256("x");
    const files = Array.from({ length: 1000 }, (_, i) => ({ path: `page-${i}/index.html`, hash, size: 1 }));
    expect(JSON.stringify({ files }).length).toBeGreaterThan(64 * 1024);
    expect((await api(path, { token, json: { files } })).status).toBe(201);
    const tooLarge = await api(path, {
      token,
      body: " ".repeat(max + 1),
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(tooLarge, 413, "payload_too_large");
  });
});
