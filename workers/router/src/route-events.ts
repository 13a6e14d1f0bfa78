import { WorkerEntrypoint } from "cloudflare:workers";
import type { RouteChange } from "@miaobu/shared";
import { parseRouteChange } from "./route-source.ts";

/**
 * The router's named entrypoint for route changes. A named entrypoint has no URL: only a Worker of the same
 * account that declares a service binding to it (the API) can call it, and visitors' requests never reach
 * it. Even a caller can only make the router forget and read D1 again: a change carries no route to serve.
 */
export function routeEventsEntrypoint(forget: (env: Env, change: RouteChange) => Promise<void>) {
  return class RouteEvents extends WorkerEntrypoint<Env> {
    /** Forgets the routes of `change` in this isolate and this colo. */
    async routesChanged(input: unknown): Promise<void> {
      const change = parseRouteChange(input);
      if (!change) throw new TypeError("routesChanged expects { projectId, hostnames }");
      await forget(this.env, change);
    }
  };
}
