import type { Route } from "./resolve-host.ts";

interface MemoEntry {
  expiresAt: number;
  route: Promise<Route | null>;
  /** The project of the settled route, so a project-wide change finds its entries. */
  projectId?: string;
}

export interface RouteMemoOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * The first tier of the route source: hostname → route in this isolate's memory. Misses are kept for the
 * same bound as hits, so a flood of unknown hosts costs one lookup per host per TTL. Entries hold the pending
 * lookup, so concurrent requests for a cold host share one.
 */
export class RouteMemo {
  readonly #entries = new Map<string, MemoEntry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: RouteMemoOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = Math.max(1, options.maxEntries);
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns the remembered lookup for `hostname`, or runs `load` and remembers it. */
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
    const entry: MemoEntry = { expiresAt: now + this.#ttlMs, route };
    this.#entries.set(hostname, entry);
    route.then(
      (settled) => {
        if (settled) entry.projectId = settled.projectId;
      },
      // A failed lookup must not be served from memory until it expires.
      () => {
        if (this.#entries.get(hostname) === entry) this.#entries.delete(hostname);
      },
    );
    return route;
  }

  /** Drops the entries of these hostnames and every entry that resolved to `projectId`. */
  forget(hostnames: Iterable<string>, projectId?: string): void {
    for (const hostname of hostnames) this.#entries.delete(hostname);
    if (projectId === undefined) return;
    for (const [hostname, entry] of this.#entries) {
      if (entry.projectId === projectId) this.#entries.delete(hostname);
    }
  }
}
