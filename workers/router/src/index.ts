import { requestHost } from "@miaobu/edge";
import { redirectLocation } from "@miaobu/rules";
import { normalizeHost, type RouteChange } from "@miaobu/shared";
import { storageOf } from "@miaobu/storage";
import { ACME_CHALLENGE_PREFIX, acmeChallenge } from "./acme-challenge.ts";
import { BlobCache, type BlobSources } from "./blobs.ts";
import { normalizeConfiguration, type RouterConfiguration } from "./config.ts";
import { deploymentGone } from "./gone.ts";
import { ManifestCache } from "./manifest.ts";
import { guardPreview, PreviewSessions } from "./preview-auth.ts";
import { previewLimitsOf } from "./preview-limit.ts";
import { isPagesFlavour, resolveAsset } from "./resolve-asset.ts";
import { isPreview, type Route, skewFallback } from "./resolve-host.ts";
import {
  badRequest,
  finishSiteResponse,
  internalError,
  methodNotAllowed,
  notFound,
  platformNotFound,
  redirectResponse,
  type SiteContext,
  withoutBody,
} from "./responses.ts";
import { EdgeRouteCache } from "./route-edge.ts";
import { routeEventsEntrypoint } from "./route-events.ts";
import { RouteMemo } from "./route-memo.ts";
import { RouteSource } from "./route-source.ts";
import { serveFile } from "./serve-file.ts";
import { loadSite, type Site } from "./site.ts";

/** What a router instance keeps for the life of its isolate. */
interface RouterState {
  config: RouterConfiguration;
  routes: RouteSource;
  sites: ManifestCache<Site>;
  blobs: BlobCache;
  sessions: PreviewSessions;
}

export interface RouterOptions {
  /** Clock for the route cache, skew protection and preview sessions; tests inject one. */
  now?: () => number;
  /** Turns the edge Cache API off, for blobs and routes (tests that count storage reads). */
  edgeCache?: boolean;
}

function createState(env: Env, options: RouterOptions): RouterState {
  const config = normalizeConfiguration(env);
  const now = options.now ?? Date.now;
  return {
    config,
    routes: new RouteSource(
      env.DB,
      new RouteMemo({ ttlMs: config.routeCacheMs, maxEntries: config.routeCacheMaxEntries, now }),
      edgeCacheOf(options) && config.routeEdgeCacheSeconds > 0
        ? new EdgeRouteCache({
            cache: caches.default,
            origin: `https://${config.baseDomain}`,
            ttlSeconds: config.routeEdgeCacheSeconds,
            now,
          })
        : null,
    ),
    sites: new ManifestCache<Site>({
      maxEntries: config.manifestCacheMaxEntries,
      maxBytes: config.manifestCacheMaxBytes,
    }),
    blobs: new BlobCache({
      maxBytes: config.blobCacheMaxBytes,
      maxEntryBytes: config.blobCacheMaxEntryBytes,
    }),
    sessions: new PreviewSessions(config.previewSecret, config.previewSessionSeconds, now),
  };
}

function edgeCacheOf(options: RouterOptions): boolean {
  return options.edgeCache !== false && typeof caches !== "undefined";
}

interface Visit {
  request: Request;
  url: URL;
  route: Route;
  site: Site;
  sources: BlobSources;
}

/** GET and HEAD: the only methods a site answers with its files. */
const isRead = (request: Request) => request.method === "GET" || request.method === "HEAD";

async function serveSite(env: Env, state: RouterState, now: number, visit: Visit): Promise<Response> {
  const { request, url, route, site, sources } = visit;
  const pages = isPagesFlavour(route);
  // `_redirects` first, whatever the method: Pages follows a rule whether or not a file matches the path.
  const rule = site.rules.redirect(
    url.pathname,
    pages ? { platform: "pages" } : { platform: "workers", htmlHandlingNone: route.htmlHandling === "none" },
  );
  if (rule && rule.status !== 200) {
    const location = redirectLocation(rule.to, url);
    return redirectResponse(rule.status, location, pages && rule.status !== 308);
  }
  // Other methods get a rule's redirect or a 405, never a file: Pages refuses them right after the rules,
  // Workers once it knows what would answer (nothing: 404).
  const read = isRead(request);
  if (pages && !read) return methodNotAllowed();
  const pathname = rule ? new URL(rule.to, url).pathname : url.pathname;
  const resolution = resolveAsset(pathname, site.manifest, route);
  if (!read) return resolution.kind === "not-found" ? notFound() : methodNotAllowed();
  if (resolution.kind === "redirect")
    return redirectResponse(resolution.status, `${resolution.location}${url.search}`, false);

  const file = (asset: Parameters<typeof serveFile>[1]["asset"], status: 200 | 404) =>
    serveFile(sources, { request, projectId: route.projectId, asset, status, pages });
  if (resolution.kind === "file" && !resolution.notFound) return file(resolution.asset, 200);

  // Version skew: a file the previous deployment had (an old tab's chunk) is still served for a while.
  const previousId = skewFallback(route, now);
  if (previousId) {
    const previous = await loadSite(storageOf(env), state.sites, route.projectId, previousId);
    const old = previous
      ? resolveAsset(pathname, previous.manifest, route, { redirects: false, notFoundHandling: false })
      : null;
    if (old?.kind === "file") return file(old.asset, 200);
  }
  return resolution.kind === "file" ? file(resolution.asset, resolution.status) : notFound();
}

function waitUntilOf(ctx: ExecutionContext | undefined): (promise: Promise<unknown>) => void {
  return (promise) => (ctx ? ctx.waitUntil(promise) : void promise);
}

async function handle(
  request: Request,
  env: Env,
  ctx: ExecutionContext | undefined,
  state: RouterState,
  now: number,
  options: RouterOptions,
): Promise<Response> {
  const url = new URL(request.url);
  const host = normalizeHost(url.host);
  if (isRead(request) && url.pathname.startsWith(ACME_CHALLENGE_PREFIX)) {
    const answer = await acmeChallenge(env.DB, host, url.pathname);
    if (answer) return answer;
  }
  const route = await state.routes.lookup(host, waitUntilOf(ctx));
  if (!route) return platformNotFound();
  const preview = isPreview(route);
  if (preview && route.previewPasswordHash !== null) {
    const limits = previewLimitsOf(env, {
      address: state.config.previewLockoutAddress,
      host: state.config.previewLockoutHost,
      trustCfConnectingIp: state.config.trustCfConnectingIp,
    });
    const guard = await guardPreview(request, url, host, route.previewPasswordHash, state.sessions, limits);
    if (guard) return guard;
  }

  // Read with the route, so a deleted deployment answers 410 within the route cache's bound, even where
  // this isolate still holds its manifest.
  if (route.deleted) return deploymentGone();

  const site = await loadSite(storageOf(env), state.sites, route.projectId, route.deploymentId);
  if (!site) {
    console.warn(`router: no manifest for deployment ${route.deploymentId} of ${route.projectId}`);
    return platformNotFound();
  }
  const context: SiteContext = {
    preview,
    headerMatches: site.rules.headers(host, url.pathname),
    pages: isPagesFlavour(route),
  };
  const sources: BlobSources = {
    storage: storageOf(env),
    memory: state.blobs,
    edge: edgeCacheOf(options) ? caches.default : null,
    edgeOrigin: `https://${state.config.baseDomain}`,
    waitUntil: waitUntilOf(ctx),
  };
  const response = await serveSite(env, state, now, { request, url, route, site, sources });
  return finishSiteResponse(response, context);
}

/**
 * Builds the router's fetch handler; its caches live as long as the returned object (one per isolate).
 * `routesChanged` forgets what a route change touched (the API calls it through `RouteEvents`).
 */
export function createRouter(options: RouterOptions = {}) {
  let state: RouterState | undefined;
  return {
    async routesChanged(env: Env, change: RouteChange): Promise<void> {
      state ??= createState(env, options);
      await state.routes.forget(change);
    },
    async fetch(request: Request, env: Env, ctx?: ExecutionContext): Promise<Response> {
      // A malformed Host (`x:abc`, `%00`, two ports, two Host headers) is the client's mistake, not ours.
      if (requestHost(request) === null) return badRequest();
      try {
        state ??= createState(env, options);
        const now = (options.now ?? Date.now)();
        const response = await handle(request, env, ctx, state, now, options);
        return request.method === "HEAD" ? withoutBody(response) : response;
      } catch (error) {
        console.error("router: unexpected error", error instanceof Error ? error.stack : error);
        return internalError();
      }
    },
  };
}

const router = createRouter();

export { Lockout } from "@miaobu/edge/lockout-object";
/** Reached only through a service binding (the API's ROUTE_EVENTS), never from the internet. */
export const RouteEvents = routeEventsEntrypoint(router.routesChanged);
export default { fetch: router.fetch } satisfies ExportedHandler<Env>;
