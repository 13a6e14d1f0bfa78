import { declaredRoutes } from "@miaobu/contract";
import { describe, expect, it } from "vitest";
import { LARGE } from "../src/middleware/body-limits.ts";
import { BLOBS, EXEMPT, LOGIN, LOGS } from "../src/middleware/rate-limit.ts";
import { operations } from "../src/openapi/operations.ts";
import { ADMIN_READS, DEPLOY_ROUTES } from "../src/services/tokens/scopes.ts";
import { api, newUser } from "./helpers.ts";

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
});
