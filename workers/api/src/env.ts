import type { DrizzleD1Database } from "drizzle-orm/d1";

/** Limits and URLs of this deployment of Miaobu, parsed once from the Worker's vars. */
export interface Config {
  /** Base domain of every site host, without port: `localhost` for `http://localhost:8788`. */
  sitesBase: string;
  /** `http:` or `https:`. */
  sitesProtocol: string;
  /** `:8788`, or empty for the scheme's default port. */
  sitesPort: string;
  maxFileBytes: number;
  maxFiles: number;
  maxBatchBytes: number;
  maxBatchFiles: number;
  /** Largest JSON body accepted when creating a deployment. */
  maxManifestBytes: number;
  tokenTtlMs: number;
  /** Builds and their coordination (docs/builder-protocol.md). */
  builds: BuildConfig;
}

/** How builds are started and watched. */
export interface BuildConfig {
  /** `url`: HTTP to `builderUrl` (local platform); `container`: the `BUILDER` Container binding (production). */
  builder: "url" | "container";
  builderUrl: string;
  builderSecret: string;
  /** The API's URL as the builder reaches it, for its callbacks. */
  apiUrl: string;
  perProject: number;
  /** Builds running at once across all projects. */
  global: number;
  /** A build silent for longer than this is failed by the coordinator's watchdog. */
  heartbeatTimeoutMs: number;
  /** How long a finished build's log stays in its Durable Object (the text stays in storage). */
  logRetentionMs: number;
}

/** What every service takes: storage, clock and configuration, never globals. */
export interface Deps {
  db: DrizzleD1Database;
  storage: R2Bucket;
  now: () => number;
  config: Config;
}

export interface AuthUser {
  id: string;
  email: string;
  name: string;
}

/** Hono environment of the API Worker. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    deps: Deps;
    user: AuthUser;
    tokenId: string;
    /** Set when the request was authenticated with a deployment's callback token (`mbd_…`). */
    callback?: { deploymentId: string; projectId: string };
  };
}

const MIB = 1024 * 1024;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Reads the vars; throws at the first request when one is malformed so a bad deploy fails loudly. */
export function parseConfig(env: Env): Config {
  const sites = new URL(env.MIAOBU_SITES_URL);
  return {
    sitesBase: sites.hostname,
    sitesProtocol: sites.protocol,
    sitesPort: sites.port ? `:${sites.port}` : "",
    maxFileBytes: positiveInt("MIAOBU_MAX_FILE_BYTES", env.MIAOBU_MAX_FILE_BYTES, 25 * MIB),
    maxFiles: positiveInt("MIAOBU_MAX_FILES", env.MIAOBU_MAX_FILES, 20_000),
    maxBatchBytes: 50 * MIB,
    maxBatchFiles: 1000,
    maxManifestBytes: 8 * MIB,
    tokenTtlMs: positiveInt("MIAOBU_TOKEN_TTL_DAYS", env.MIAOBU_TOKEN_TTL_DAYS, 90) * 24 * 60 * 60 * 1000,
    builds: parseBuildConfig(env),
  };
}

function parseBuildConfig(env: Env): BuildConfig {
  const builder: string = env.MIAOBU_BUILDER || "url";
  if (builder !== "url" && builder !== "container") {
    throw new Error(`MIAOBU_BUILDER must be "url" or "container", got "${builder}"`);
  }
  return {
    builder,
    builderUrl: new URL(env.BUILDER_URL).origin,
    builderSecret: env.BUILDER_SECRET,
    apiUrl: new URL(env.MIAOBU_API_URL).origin,
    perProject: positiveInt("MIAOBU_BUILDS_PER_PROJECT", env.MIAOBU_BUILDS_PER_PROJECT, 1),
    global: positiveInt("MIAOBU_MAX_CONCURRENT_BUILDS", env.MIAOBU_MAX_CONCURRENT_BUILDS, 4),
    heartbeatTimeoutMs:
      positiveInt("MIAOBU_BUILD_HEARTBEAT_TIMEOUT_SECONDS", env.MIAOBU_BUILD_HEARTBEAT_TIMEOUT_SECONDS, 60) *
      1000,
    logRetentionMs: 60 * 60 * 1000,
  };
}

const parsed = new WeakMap<Env, Config>();

/** The config of `env`, parsed on first use and then reused for the isolate's life. */
export function configOf(env: Env): Config {
  let config = parsed.get(env);
  if (!config) {
    config = parseConfig(env);
    parsed.set(env, config);
  }
  return config;
}

/** Public URL of a site host: `http://my-site.localhost:8788`. */
export function siteUrl(config: Config, host: string): string {
  return `${config.sitesProtocol}//${host}${config.sitesPort}`;
}
