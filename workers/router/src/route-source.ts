import { normalizeHost, ROUTE_CHANGE_MAX_HOSTNAMES, type RouteChange } from "@miaobu/shared";
import { ROUTE_QUERY, type Route, type RouteRow, toRoute } from "./resolve-host.ts";
import type { EdgeRouteCache } from "./route-edge.ts";
import type { RouteMemo } from "./route-memo.ts";

type WaitUntil = (promise: Promise<unknown>) => void;

/**
 * Reads a hostname's row with one indexed query. Any read replica will do ("first-unconstrained"): a route
 * may lag by the bound docs/scale.md derives, and the nearest copy keeps lookups off the primary.
 */
export function readRouteRow(db: D1Database, hostname: string): Promise<RouteRow | null> {
  return db.withSession("first-unconstrained").prepare(ROUTE_QUERY).bind(hostname).first<RouteRow>();
}

/**
 * Where the router learns what a hostname points at, in three tiers (docs/scale.md): this isolate's memo,
 * then the colo's Cache API entry, then D1 (a read replica). A change the API announces drops the host from
 * the first two here; other colos are reached by the API's purge by tag.
 */
export class RouteSource {
  readonly #db: D1Database;
  readonly #memo: RouteMemo;
  readonly #edge: EdgeRouteCache | null;
  // Bumped by every change: a D1 read that started before one may hold the old row, so it is not stored
  // in the colo tier, where it would outlive the change.
  #epoch = 0;

  constructor(db: D1Database, memo: RouteMemo, edge: EdgeRouteCache | null) {
    this.#db = db;
    this.#memo = memo;
    this.#edge = edge;
  }

  /** The route of a normalized hostname, or null when nothing is served there. */
  lookup(hostname: string, waitUntil: WaitUntil): Promise<Route | null> {
    if (hostname === "") return Promise.resolve(null);
    return this.#memo.lookup(hostname, async () => {
      const row = await this.#load(hostname, waitUntil);
      return row ? toRoute(row) : null;
    });
  }

  async #load(hostname: string, waitUntil: WaitUntil): Promise<RouteRow | null> {
    const edge = this.#edge;
    if (!edge) return readRouteRow(this.#db, hostname);
    const epoch = this.#epoch;
    const hit = await edge.get(hostname).catch(() => undefined);
    if (hit) return hit.row;
    const row = await readRouteRow(this.#db, hostname);
    if (epoch === this.#epoch) {
      waitUntil(
        edge.put(hostname, row).catch((error: unknown) => {
          console.warn("router: could not store a route in the colo cache", error);
        }),
      );
    }
    return row;
  }

  /** Forgets what a change touched, in this isolate and this colo; the next lookup reads D1. */
  async forget(change: RouteChange): Promise<void> {
    this.#epoch++;
    this.#memo.forget(change.hostnames, change.projectId);
    const edge = this.#edge;
    if (edge) await Promise.all(change.hostnames.map((hostname) => edge.delete(hostname)));
  }
}

/**
 * The change a caller sent, checked and with its hostnames normalized; null when it is not one. It comes
 * over a service binding, from a Worker of the same account, but is parsed like any input.
 */
export function parseRouteChange(input: unknown): RouteChange | null {
  if (typeof input !== "object" || input === null) return null;
  const { projectId, hostnames } = input as Record<string, unknown>;
  if (typeof projectId !== "string" || !/^prj_[0-9a-z]{1,64}$/.test(projectId)) return null;
  if (!Array.isArray(hostnames) || hostnames.length > ROUTE_CHANGE_MAX_HOSTNAMES) return null;
  const normalized: string[] = [];
  for (const hostname of hostnames) {
    if (typeof hostname !== "string" || hostname.length > 253) return null;
    const host = normalizeHost(hostname);
    if (host === "") return null;
    normalized.push(host);
  }
  return { projectId, hostnames: normalized };
}
