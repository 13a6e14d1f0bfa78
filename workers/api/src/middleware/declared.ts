import { declaredRoutes, type RoutePolicy } from "@miaobu/contract";
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import type { Config } from "../env.ts";

const POLICIES = new Map(
  declaredRoutes.map((route) => [
    `${route.method.toUpperCase()} ${route.getRoutingPath()}`,
    route["x-miaobu"],
  ]),
);

/**
 * The policy (scope, rate limit, body limit) of the declared route this request matched, or undefined for a
 * route not migrated to the contract yet (or no route at all), which the path lists still cover.
 */
export function declaredPolicy(c: Context): RoutePolicy | undefined {
  const routes = matchedRoutes(c);
  // Middleware registered with `use` has the method ALL; the route's own handler comes last.
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== "ALL") return POLICIES.get(`${route.method} ${route.path}`);
  }
  return undefined;
}

/**
 * The `{id}` segment of the request path for a declared route whose rate limit is kept per deployment
 * (`blobs`, `logs`): found by position in the routing path, since app-level middleware runs before the route's
 * own parameters are parsed.
 */
export function declaredId(c: Context): string | undefined {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (!route || route.method === "ALL") continue;
    const index = route.path.split("/").indexOf(":id");
    return index < 0 ? undefined : c.req.path.split("/")[index];
  }
  return undefined;
}

/** The most bytes a declared route's body may have, its configured limit read from `config`; null: no body. */
export function bodyLimitOf(policy: RoutePolicy, config: Config): number | null {
  const limit = policy.bodyLimit;
  return limit === null || typeof limit === "number" ? limit : config[limit.config];
}
