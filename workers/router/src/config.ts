/** The router's vars as wrangler passes them: strings, possibly absent. */
export interface RouterVars {
  MIAOBU_BASE_DOMAIN?: string;
  MIAOBU_ROUTE_CACHE_MS?: string;
}

/** The router's settings, parsed once per isolate. */
export interface RouterConfiguration {
  baseDomain: string;
  /** How long a hostname lookup (found or not) may be reused; a rollback is visible everywhere within it. */
  routeCacheMs: number;
  routeCacheMaxEntries: number;
  /** Parsed manifests kept per isolate, bounded both by count and by the size of their JSON. */
  manifestCacheMaxEntries: number;
  manifestCacheMaxBytes: number;
}

export const DEFAULT_CONFIGURATION: RouterConfiguration = {
  baseDomain: "localhost",
  routeCacheMs: 2000,
  routeCacheMaxEntries: 10_000,
  manifestCacheMaxEntries: 256,
  manifestCacheMaxBytes: 64 * 1024 * 1024,
};

function nonNegativeInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Fills defaults and parses the vars; a malformed value falls back to its default rather than failing every request. */
export function normalizeConfiguration(vars: RouterVars): RouterConfiguration {
  const baseDomain = vars.MIAOBU_BASE_DOMAIN?.trim().toLowerCase().replace(/\.$/, "");
  return {
    ...DEFAULT_CONFIGURATION,
    baseDomain: baseDomain || DEFAULT_CONFIGURATION.baseDomain,
    routeCacheMs: nonNegativeInteger(vars.MIAOBU_ROUTE_CACHE_MS, DEFAULT_CONFIGURATION.routeCacheMs),
  };
}
