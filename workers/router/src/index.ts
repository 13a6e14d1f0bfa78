import { normalizeHost, storageKeys } from "@miaobu/shared";
import { normalizeConfiguration } from "./config.ts";
import { loadManifest, ManifestCache } from "./manifest.ts";
import { type Asset, resolveAsset } from "./resolve-asset.ts";
import { isPreview, RouteCache, resolveHost } from "./resolve-host.ts";
import {
  badRequest,
  fileResponse,
  ifNoneMatchMatches,
  internalError,
  methodNotAllowed,
  notFound,
  notModified,
  platformNotFound,
  type SiteContext,
  withoutBody,
} from "./responses.ts";

/** What a router instance keeps for the life of its isolate. */
interface RouterState {
  routes: RouteCache;
  manifests: ManifestCache;
}

export interface RouterOptions {
  /** Clock for the route cache; tests inject one to step past the TTL without sleeping. */
  now?: () => number;
}

function createState(env: Env, options: RouterOptions): RouterState {
  const config = normalizeConfiguration(env);
  return {
    routes: new RouteCache({
      ttlMs: config.routeCacheMs,
      maxEntries: config.routeCacheMaxEntries,
      ...(options.now ? { now: options.now } : {}),
    }),
    manifests: new ManifestCache({
      maxEntries: config.manifestCacheMaxEntries,
      maxBytes: config.manifestCacheMaxBytes,
    }),
  };
}

async function serveFile(
  env: Env,
  projectId: string,
  asset: Asset,
  site: SiteContext,
  head: boolean,
  status: 200 | 404,
): Promise<Response> {
  // HEAD is answered from the manifest alone: size and type are known without touching the blob.
  if (head) return fileResponse(asset.entry, null, site, status);
  const object = await env.STORAGE.get(storageKeys.blob(projectId, asset.entry.hash));
  if (!object) throw new Error(`blob ${asset.entry.hash} of ${projectId} (${asset.path}) is not in storage`);
  return fileResponse(asset.entry, object.body, site, status);
}

async function handle(request: Request, env: Env, state: RouterState): Promise<Response> {
  const head = request.method === "HEAD";
  if (!head && request.method !== "GET") return methodNotAllowed();

  const url = new URL(request.url);
  const route = await resolveHost(env.DB, state.routes, normalizeHost(url.host));
  if (!route) return platformNotFound();
  const manifest = await loadManifest(env.STORAGE, state.manifests, route.projectId, route.deploymentId);
  if (!manifest) {
    console.warn(`router: no manifest for deployment ${route.deploymentId} of ${route.projectId}`);
    return platformNotFound();
  }

  const site: SiteContext = { preview: isPreview(route) };
  const resolution = resolveAsset(url.pathname, manifest);
  switch (resolution.kind) {
    case "bad-request":
      return badRequest(site);
    case "not-found":
      if (resolution.page) return serveFile(env, route.projectId, resolution.page, site, head, 404);
      return notFound(site);
    case "file":
      if (ifNoneMatchMatches(request.headers.get("if-none-match"), resolution.asset.entry)) {
        return notModified(resolution.asset.entry, site);
      }
      return serveFile(env, route.projectId, resolution.asset, site, head, 200);
  }
}

/** Builds the router's fetch handler; its caches live as long as the returned object (one per isolate). */
export function createRouter(options: RouterOptions = {}) {
  let state: RouterState | undefined;
  return {
    async fetch(request: Request, env: Env): Promise<Response> {
      try {
        state ??= createState(env, options);
        const response = await handle(request, env, state);
        return request.method === "HEAD" ? withoutBody(response) : response;
      } catch (error) {
        console.error("router: unexpected error", error instanceof Error ? error.stack : error);
        return internalError();
      }
    },
  } satisfies ExportedHandler<Env>;
}

export default createRouter();
