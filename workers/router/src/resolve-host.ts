/** What a hostname points at: one row of the `routes` table. */
export interface Route {
  projectId: string;
  deploymentId: string;
  kind: "production" | "branch" | "deployment" | "custom";
}

interface RouteRow {
  project_id: string;
  deployment_id: string;
  kind: Route["kind"];
}

interface CacheEntry {
  expiresAt: number;
  route: Promise<Route | null>;
}

export interface RouteCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * Per-isolate hostname → route cache. Misses are cached for the same bound as hits, so a flood of
 * unknown hosts costs one query per host per TTL. Entries hold the pending lookup, so concurrent requests
 * for a cold host share one D1 query.
 */
export class RouteCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: RouteCacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = Math.max(1, options.maxEntries);
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns the cached lookup for `hostname`, or runs `load` and caches it. */
  lookup(hostname: string, load: () => Promise<Route | null>): Promise<Route | null> {
    const now = this.#now();
    const cached = this.#entries.get(hostname);
    if (cached && cached.expiresAt > now) return cached.route;
    if (cached) this.#entries.delete(hostname);

    const route = load();
    if (this.#ttlMs === 0) return route;
    // Insertion order is age order: the first key is the oldest entry.
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    const entry: CacheEntry = { expiresAt: now + this.#ttlMs, route };
    this.#entries.set(hostname, entry);
    // A failed lookup must not be served from the cache until it expires.
    void route.catch(() => {
      if (this.#entries.get(hostname) === entry) this.#entries.delete(hostname);
    });
    return route;
  }
}

const ROUTE_QUERY = "SELECT project_id, deployment_id, kind FROM routes WHERE hostname = ?";

/** Resolves a normalized hostname to its route with one primary-key lookup, through the isolate cache. */
export function resolveHost(db: D1Database, cache: RouteCache, hostname: string): Promise<Route | null> {
  if (hostname === "") return Promise.resolve(null);
  return cache.lookup(hostname, async () => {
    const row = await db.prepare(ROUTE_QUERY).bind(hostname).first<RouteRow>();
    return row ? { projectId: row.project_id, deploymentId: row.deployment_id, kind: row.kind } : null;
  });
}

/** Branch and deployment hosts are previews: they must not be indexed. */
export function isPreview(route: Route): boolean {
  return route.kind === "branch" || route.kind === "deployment";
}
