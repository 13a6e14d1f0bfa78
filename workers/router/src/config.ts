import { type LockoutRule, parseLockoutRule, trustsCfConnectingIp } from "@miaobu/edge";

/** The router's vars as wrangler passes them: strings, possibly absent. */
export interface RouterVars {
  MIAOBU_BASE_DOMAIN?: string;
  MIAOBU_ROUTE_CACHE_MS?: string;
  MIAOBU_ROUTE_EDGE_CACHE_SECONDS?: string;
  MIAOBU_PREVIEW_SECRET?: string;
  MIAOBU_PREVIEW_LOCKOUT_ADDRESS?: string;
  MIAOBU_PREVIEW_LOCKOUT_HOST?: string;
  MIAOBU_TRUST_CF_CONNECTING_IP?: string;
}

/** The router's settings, parsed once per isolate. */
export interface RouterConfiguration {
  baseDomain: string;
  /** How long an isolate may reuse a hostname lookup (found or not), whatever happens elsewhere. */
  routeCacheMs: number;
  routeCacheMaxEntries: number;
  /**
   * How long a colo's Cache API entry for a hostname lives; 0: no colo tier. Only with route changes
   * announced (the API's purge by tag, or its ROUTE_EVENTS binding): it is the bound when one is lost.
   */
  routeEdgeCacheSeconds: number;
  /** Deployments (parsed manifest and compiled rules) kept per isolate, bounded by count and JSON size. */
  manifestCacheMaxEntries: number;
  manifestCacheMaxBytes: number;
  /** File bodies kept in isolate memory: blobs are immutable, so a hit skips storage and the edge cache. */
  blobCacheMaxBytes: number;
  blobCacheMaxEntryBytes: number;
  /** Key of the HMAC that signs preview-login cookies; empty disables password-protected previews' login. */
  previewSecret: string;
  /** How long a preview login lasts. */
  previewSessionSeconds: number;
  /** Growing delays after guesses at a preview's password, per client address and per host; null: off. */
  previewLockoutAddress: LockoutRule | null;
  previewLockoutHost: LockoutRule | null;
  /** The client's address is `CF-Connecting-IP` (Cloudflare) or one identity for all (local platform). */
  trustCfConnectingIp: boolean;
}

export const DEFAULT_CONFIGURATION: RouterConfiguration = {
  baseDomain: "localhost",
  routeCacheMs: 2000,
  routeCacheMaxEntries: 10_000,
  routeEdgeCacheSeconds: 0,
  manifestCacheMaxEntries: 256,
  manifestCacheMaxBytes: 64 * 1024 * 1024,
  blobCacheMaxBytes: 32 * 1024 * 1024,
  blobCacheMaxEntryBytes: 512 * 1024,
  previewSecret: "",
  previewSessionSeconds: 7 * 24 * 60 * 60,
  previewLockoutAddress: lockoutOr(undefined, "5 10s 10m"),
  previewLockoutHost: lockoutOr(undefined, "20 5s 10m"),
  trustCfConnectingIp: false,
};

/** A lockout rule, or `fallback`'s when the value is malformed (the router fails no request over a var). */
function lockoutOr(raw: string | undefined, fallback: string): LockoutRule | null {
  try {
    return parseLockoutRule("lockout", raw, fallback);
  } catch {
    return parseLockoutRule("lockout", fallback, fallback);
  }
}

function nonNegativeInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** The development value of `MIAOBU_PREVIEW_SECRET` in wrangler.toml; refused outside `localhost`. */
export const DEV_PREVIEW_SECRET = "local-dev-preview-secret-not-for-production";

/** Fills defaults and parses the vars; a malformed value falls back to its default rather than failing every request. */
export function normalizeConfiguration(vars: RouterVars): RouterConfiguration {
  const baseDomain =
    vars.MIAOBU_BASE_DOMAIN?.trim().toLowerCase().replace(/\.$/, "") || DEFAULT_CONFIGURATION.baseDomain;
  return {
    ...DEFAULT_CONFIGURATION,
    baseDomain,
    routeCacheMs: nonNegativeInteger(vars.MIAOBU_ROUTE_CACHE_MS, DEFAULT_CONFIGURATION.routeCacheMs),
    routeEdgeCacheSeconds: nonNegativeInteger(
      vars.MIAOBU_ROUTE_EDGE_CACHE_SECONDS,
      DEFAULT_CONFIGURATION.routeEdgeCacheSeconds,
    ),
    // A production deploy that forgot the secret must not sign cookies with a key printed in the repo.
    previewSecret:
      vars.MIAOBU_PREVIEW_SECRET === DEV_PREVIEW_SECRET && baseDomain !== "localhost"
        ? ""
        : (vars.MIAOBU_PREVIEW_SECRET ?? ""),
    previewLockoutAddress: lockoutOr(vars.MIAOBU_PREVIEW_LOCKOUT_ADDRESS, "5 10s 10m"),
    previewLockoutHost: lockoutOr(vars.MIAOBU_PREVIEW_LOCKOUT_HOST, "20 5s 10m"),
    trustCfConnectingIp: trustOr(vars.MIAOBU_TRUST_CF_CONNECTING_IP, baseDomain),
  };
}

function trustOr(raw: string | undefined, baseDomain: string): boolean {
  try {
    return trustsCfConnectingIp(raw, baseDomain);
  } catch {
    // Unreadable: the safe reading, which a client cannot spoof.
    return false;
  }
}
