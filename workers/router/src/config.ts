/** The router's vars as wrangler passes them: strings, possibly absent. */
export interface RouterVars {
  MIAOBU_BASE_DOMAIN?: string;
  MIAOBU_ROUTE_CACHE_MS?: string;
  MIAOBU_PREVIEW_SECRET?: string;
}

/** The router's settings, parsed once per isolate. */
export interface RouterConfiguration {
  baseDomain: string;
  /** How long a hostname lookup (found or not) may be reused; a rollback is visible everywhere within it. */
  routeCacheMs: number;
  routeCacheMaxEntries: number;
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
}

export const DEFAULT_CONFIGURATION: RouterConfiguration = {
  baseDomain: "localhost",
  routeCacheMs: 2000,
  routeCacheMaxEntries: 10_000,
  manifestCacheMaxEntries: 256,
  manifestCacheMaxBytes: 64 * 1024 * 1024,
  blobCacheMaxBytes: 32 * 1024 * 1024,
  blobCacheMaxEntryBytes: 512 * 1024,
  previewSecret: "",
  previewSessionSeconds: 7 * 24 * 60 * 60,
};

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
    // A production deploy that forgot the secret must not sign cookies with a key printed in the repo.
    previewSecret:
      vars.MIAOBU_PREVIEW_SECRET === DEV_PREVIEW_SECRET && baseDomain !== "localhost"
        ? ""
        : (vars.MIAOBU_PREVIEW_SECRET ?? ""),
  };
}
