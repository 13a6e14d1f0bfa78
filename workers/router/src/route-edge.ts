import { hostRouteTag, projectRouteTag } from "@miaobu/shared";
import { ROUTE_QUERY, type RouteRow } from "./resolve-host.ts";

/** What a per-colo entry holds: the row (null for an unknown host) and when it stops being fresh. */
interface EdgeEntry {
  row: RouteRow | null;
  expiresAt: number;
}

/** FNV-1a of a string, in base 36: a short, stable name for a text. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

// Entries outlive a deploy of the router. Keyed by the query's text, a router whose query (so whose row)
// differs never reads an entry written by another version.
const ROW_VERSION = fnv1a(ROUTE_QUERY);

export interface EdgeRouteCacheOptions {
  cache: Cache;
  /** Origin of the keys: the sites' base domain, so entries live in the router's zone. */
  origin: string;
  ttlSeconds: number;
  now?: () => number;
}

/**
 * The second tier of the route source: one Cache API entry per hostname in each Cloudflare location (colo),
 * shared by every isolate there. Entries carry Cache-Tags for the host and its project, so the API purges
 * them everywhere when a route changes (docs/scale.md); their lifetime is the bound when a purge is lost.
 * Visitors never reach these keys: only the router reads and writes them.
 */
export class EdgeRouteCache {
  readonly #cache: Cache;
  readonly #origin: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: EdgeRouteCacheOptions) {
    this.#cache = options.cache;
    this.#origin = options.origin;
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now ?? Date.now;
  }

  #key(hostname: string): Request {
    return new Request(`${this.#origin}/__miaobu/routes/${ROW_VERSION}/${encodeURIComponent(hostname)}`);
  }

  /** The fresh entry of `hostname`, or undefined on a miss (absent, expired or unreadable). */
  async get(hostname: string): Promise<{ row: RouteRow | null } | undefined> {
    const response = await this.#cache.match(this.#key(hostname));
    if (!response) return undefined;
    try {
      const entry = (await response.json()) as EdgeEntry;
      // The clock decides, not only max-age: tests move it, and the bound holds even where max-age is rounded.
      return entry.expiresAt > this.#now() ? { row: entry.row } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores the row of `hostname` for this colo. */
  async put(hostname: string, row: RouteRow | null): Promise<void> {
    const entry: EdgeEntry = { row, expiresAt: this.#now() + this.#ttlSeconds * 1000 };
    const tags = row ? [hostRouteTag(hostname), projectRouteTag(row.project_id)] : [hostRouteTag(hostname)];
    await this.#cache.put(
      this.#key(hostname),
      new Response(JSON.stringify(entry), {
        headers: {
          "Content-Type": "application/json",
          "Cache-Control": `max-age=${this.#ttlSeconds}`,
          "Cache-Tag": tags.join(","),
        },
      }),
    );
  }

  /** Deletes the entry of `hostname` in this colo only; other colos are reached by the API's purge. */
  async delete(hostname: string): Promise<void> {
    await this.#cache.delete(this.#key(hostname));
  }
}
