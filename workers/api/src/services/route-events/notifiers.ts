import { hostRouteTag, projectRouteTag, type RouteChange } from "@miaobu/shared";
import type { RouteEvents } from "../../env.ts";
import { chunk } from "../../lib/batch.ts";

/** The router's `RouteEvents` entrypoint as a service binding (workers/router/src/route-events.ts). */
interface RouteEventsBinding {
  routesChanged(change: RouteChange): Promise<void>;
}

function bindingOf(env: Env): RouteEventsBinding | null {
  const binding: unknown = Reflect.get(env, "ROUTE_EVENTS");
  if (typeof binding !== "object" && typeof binding !== "function") return null;
  const call: unknown = binding === null ? undefined : Reflect.get(binding, "routesChanged");
  return typeof call === "function" ? (binding as RouteEventsBinding) : null;
}

export interface PurgeConfig {
  apiUrl: string;
  zoneId: string;
  apiToken: string;
  /** The second purge, after read replicas have caught up (docs/scale.md). */
  repeatMs: number;
}

function purgeConfigOf(env: Env): PurgeConfig | null {
  const text = (name: string) => {
    const value: unknown = Reflect.get(env, name);
    return typeof value === "string" ? value.trim() : "";
  };
  const zoneId = text("CLOUDFLARE_ZONE_ID");
  const apiToken = text("CLOUDFLARE_API_TOKEN");
  if (!zoneId || !apiToken) return null;
  const repeat = Number(text("MIAOBU_ROUTE_PURGE_REPEAT_SECONDS") || "10");
  return {
    apiUrl: (text("CLOUDFLARE_API_URL") || "https://api.cloudflare.com/client/v4").replace(/\/+$/, ""),
    zoneId,
    apiToken,
    repeatMs: Number.isFinite(repeat) && repeat >= 0 ? repeat * 1000 : 10_000,
  };
}

// Cloudflare takes a bounded number of tags per purge request.
const TAGS_PER_PURGE = 30;

/** Purges the colo entries of a change everywhere: the project's tag, and the tags of hosts new to it. */
export async function purgeRouteTags(
  config: PurgeConfig,
  change: RouteChange,
  added: readonly string[],
  fetcher: typeof fetch = fetch,
): Promise<void> {
  const tags = [projectRouteTag(change.projectId), ...added.map(hostRouteTag)];
  for (const part of chunk(tags, TAGS_PER_PURGE)) {
    const res = await fetcher(`${config.apiUrl}/zones/${config.zoneId}/purge_cache`, {
      method: "POST",
      headers: { Authorization: `Bearer ${config.apiToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ tags: part }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`Cloudflare purge answered HTTP ${res.status}`);
  }
}

/**
 * The API's route announcements for this environment: the router's binding when there is one (the local
 * platform; in production it reaches one colo only), and a purge by tag, repeated once read replicas have
 * caught up, when a zone and token are configured. Undefined when there is nowhere to announce.
 */
export function routeEventsOf(
  env: Env,
  waitUntil?: (promise: Promise<unknown>) => void,
): RouteEvents | undefined {
  const binding = bindingOf(env);
  const purge = waitUntil ? purgeConfigOf(env) : null;
  if (!binding && !purge) return undefined;
  return {
    async changed(change, added) {
      if (purge && waitUntil) {
        const once = () => purgeRouteTags(purge, change, added);
        const twice = once().finally(() =>
          new Promise((resolve) => setTimeout(resolve, purge.repeatMs)).then(once),
        );
        waitUntil(twice.catch((error: unknown) => console.error("routes: purge failed", error)));
      }
      if (binding) await binding.routesChanged(change);
    },
  };
}
