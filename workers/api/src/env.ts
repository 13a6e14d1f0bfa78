import type { TokenScope } from "@miaobu/db";
import type { RouteChange } from "@miaobu/shared";
import { type AllowedHost, parseAllowedHosts } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { caaIdentitiesOf } from "./caa-identities.ts";
import { type EdgeConfig, parseEdgeConfig } from "./edge-config.ts";

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
  /** Largest dependency cache archive a build may store (`MIAOBU_MAX_CACHE_BYTES`). */
  maxCacheBytes: number;
  /** Most bytes of cache archives one project keeps; the oldest go first (`MIAOBU_MAX_PROJECT_CACHE_BYTES`). */
  maxProjectCacheBytes: number;
  tokenTtlMs: number;
  /** Hosts git URLs may name although they are loopback or private (`MIAOBU_GIT_ALLOWED_HOSTS`). */
  gitAllowedHosts: AllowedHost[];
  /** Builds and their coordination (docs/builder-protocol.md). */
  builds: BuildConfig;
  /** Keys from secrets: the session JWT's HMAC key and the AES-GCM key for secrets at rest. */
  keys: KeyConfig;
  /** GitHub's OAuth app and webhooks; null when not configured (the platform runs without GitHub). */
  github: GitHubConfig | null;
  /** Custom domains: where DNS checks go and what domains must point at (docs/custom-domains.md). */
  domains: DomainConfig;
  /** Client addresses, the console's origins, the login lockout and readiness (edge-config.ts). */
  edge: EdgeConfig;
}

/** Custom domains' DNS checks. */
export interface DomainConfig {
  /** A DNS-over-HTTPS JSON endpoint (`MIAOBU_DOH_URL`). */
  dohUrl: string;
  /** The hostname custom domains CNAME to, and whose addresses an apex's A/AAAA must match. */
  target: string;
  /** ACME directory (`MIAOBU_ACME_DIRECTORY`, default Let's Encrypt) and account email (`MIAOBU_ACME_EMAIL`). */
  acmeDirectory: string;
  acmeEmail: string;
  /** CAA identities of that CA (`MIAOBU_ACME_CAA_IDENTITIES`; known for Let's Encrypt); empty skips the check. */
  acmeCaaIdentities: string[];
  /** Who issues certificates: Miaobu's ACME client, or Cloudflare for SaaS (`MIAOBU_TLS_PROVIDER`). */
  tlsProvider: "acme" | "cloudflare";
  /** Cloudflare for SaaS: API base, zone and token (`CLOUDFLARE_*`); null unless the provider is cloudflare. */
  cloudflare: { apiUrl: string; zoneId: string; apiToken: string } | null;
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

/** Key material, from secrets (`wrangler secret put`); wrangler.toml holds local development values only. */
export interface KeyConfig {
  /** HS256 key of session JWTs (`MIAOBU_SESSION_SECRET`). */
  sessionKey: Uint8Array;
  /** 32-byte AES-GCM key for env var values and GitHub tokens (`MIAOBU_ENCRYPTION_KEY`, base64). */
  encryptionKey: Uint8Array;
}

/** GitHub OAuth app and webhooks (`GITHUB_*` vars); GitHub Enterprise Server or a test stand-in by URL. */
export interface GitHubConfig {
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  /** Web URL, for the OAuth authorize and token endpoints: `https://github.com`. */
  url: string;
  /** REST API base: `https://api.github.com`, or `https://ghe.example.com/api/v3`. */
  apiUrl: string;
}

/** Where the API announces route changes (docs/scale.md): the router's binding, Cloudflare's purge by tag. */
export interface RouteEvents {
  /** `added`: hosts that did not point at the project before, whose "no site here" a colo may hold. */
  changed(change: RouteChange, added: readonly string[]): Promise<void>;
}

/** What every service takes: storage, clock and configuration, never globals. */
export interface Deps {
  db: DrizzleD1Database;
  storage: Storage;
  now: () => number;
  config: Config;
  /** Where changed routes are announced (services/route-events); absent where nothing listens. */
  routeEvents?: RouteEvents;
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
    /** What the credential may do: a session has every scope, an API token those it was created with. */
    scopes: readonly TokenScope[];
    /** Set when the request was authenticated with the session cookie rather than a token. */
    sessionId?: string;
    /** Set when the request was authenticated with a deployment's callback token (`mbd_…`). */
    callback?: { deploymentId: string; projectId: string };
  };
}

const MIB = 1024 * 1024;

function optionalVar(env: Env, name: string): string {
  const value: unknown = Reflect.get(env, name);
  return typeof value === "string" ? value.trim() : "";
}

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
    maxCacheBytes: positiveInt("MIAOBU_MAX_CACHE_BYTES", env.MIAOBU_MAX_CACHE_BYTES, 500 * MIB),
    maxProjectCacheBytes: positiveInt(
      "MIAOBU_MAX_PROJECT_CACHE_BYTES",
      env.MIAOBU_MAX_PROJECT_CACHE_BYTES,
      2048 * MIB,
    ),
    gitAllowedHosts: parseAllowedHosts(optionalVar(env, "MIAOBU_GIT_ALLOWED_HOSTS")),
    tokenTtlMs: positiveInt("MIAOBU_TOKEN_TTL_DAYS", env.MIAOBU_TOKEN_TTL_DAYS, 90) * 24 * 60 * 60 * 1000,
    builds: parseBuildConfig(env),
    keys: parseKeyConfig(env, sites.hostname),
    github: parseGitHubConfig(env),
    domains: {
      dohUrl: new URL(optionalVar(env, "MIAOBU_DOH_URL") || "https://cloudflare-dns.com/dns-query").href,
      target: (optionalVar(env, "MIAOBU_DOMAIN_TARGET") || `cname.${sites.hostname}`).toLowerCase(),
      acmeDirectory:
        optionalVar(env, "MIAOBU_ACME_DIRECTORY") || "https://acme-v02.api.letsencrypt.org/directory",
      acmeEmail: optionalVar(env, "MIAOBU_ACME_EMAIL"),
      acmeCaaIdentities: caaIdentitiesOf(
        optionalVar(env, "MIAOBU_ACME_DIRECTORY") || "https://acme-v02.api.letsencrypt.org/directory",
        optionalVar(env, "MIAOBU_ACME_CAA_IDENTITIES"),
      ),
      ...parseTlsProvider(env),
    },
    edge: parseEdgeConfig(env, sites.hostname),
  };
}

// The development values in wrangler.toml; a deployment that serves sites anywhere but localhost must set
// its own (`wrangler secret put`), so a forgotten secret fails loudly instead of signing with a public key.
const DEV_SESSION_SECRET = "dev-session-secret-change-me-in-production";
const DEV_ENCRYPTION_KEY = "bWlhb2J1LWxvY2FsLWRldi1lbmNyeXB0aW9uLWtleSE=";

function parseKeyConfig(env: Env, sitesBase: string): KeyConfig {
  const session = optionalVar(env, "MIAOBU_SESSION_SECRET");
  if (session.length < 32) throw new Error("MIAOBU_SESSION_SECRET must be at least 32 characters");
  const raw = optionalVar(env, "MIAOBU_ENCRYPTION_KEY");
  if (sitesBase !== "localhost" && (session === DEV_SESSION_SECRET || raw === DEV_ENCRYPTION_KEY)) {
    throw new Error(
      "MIAOBU_SESSION_SECRET and MIAOBU_ENCRYPTION_KEY still have their development values; set them with `wrangler secret put`",
    );
  }
  let key: Uint8Array;
  try {
    key = Uint8Array.from(atob(raw), (ch) => ch.charCodeAt(0));
  } catch {
    key = new Uint8Array();
  }
  if (key.byteLength !== 32) throw new Error("MIAOBU_ENCRYPTION_KEY must be 32 bytes, base64-encoded");
  return { sessionKey: new TextEncoder().encode(session), encryptionKey: key };
}

function parseTlsProvider(env: Env): Pick<DomainConfig, "tlsProvider" | "cloudflare"> {
  const provider = optionalVar(env, "MIAOBU_TLS_PROVIDER") || "acme";
  if (provider === "acme") return { tlsProvider: "acme", cloudflare: null };
  if (provider !== "cloudflare")
    throw new Error(`MIAOBU_TLS_PROVIDER must be "acme" or "cloudflare", got "${provider}"`);
  const zoneId = optionalVar(env, "CLOUDFLARE_ZONE_ID");
  const apiToken = optionalVar(env, "CLOUDFLARE_API_TOKEN");
  if (!zoneId || !apiToken)
    throw new Error("MIAOBU_TLS_PROVIDER=cloudflare needs CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN");
  const apiUrl = (optionalVar(env, "CLOUDFLARE_API_URL") || "https://api.cloudflare.com/client/v4").replace(
    /\/+$/,
    "",
  );
  return { tlsProvider: "cloudflare", cloudflare: { apiUrl, zoneId, apiToken } };
}

function parseGitHubConfig(env: Env): GitHubConfig | null {
  const clientId = optionalVar(env, "GITHUB_CLIENT_ID");
  const clientSecret = optionalVar(env, "GITHUB_CLIENT_SECRET");
  const webhookSecret = optionalVar(env, "GITHUB_WEBHOOK_SECRET");
  if (!clientId || !clientSecret || !webhookSecret) return null;
  return {
    clientId,
    clientSecret,
    webhookSecret,
    url: new URL(optionalVar(env, "GITHUB_URL") || "https://github.com").origin,
    apiUrl: (optionalVar(env, "GITHUB_API_URL") || "https://api.github.com").replace(/\/+$/, ""),
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
