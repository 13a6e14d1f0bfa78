import type { BuildConfig } from "../../env.ts";

/** The build request of docs/builder-protocol.md (`POST /builds`). */
export interface BuildRequest {
  deploymentId: string;
  project: { id: string; name: string };
  source: { url: string; branch: string; commit: string | null; rootDir: string | null };
  settings: {
    framework: string | null;
    installCommand: string | null;
    buildCommand: string | null;
    outputDir: string | null;
    nodeVersion: string | null;
    timeoutSeconds: number;
  };
  env: Record<string, string>;
  secretEnvKeys: string[];
  callback: { apiUrl: string; token: string };
  limits: { maxFiles: number; maxFileBytes: number };
  /** How the build uses the project's build cache (docs/builder-protocol.md). */
  cache: { restore: boolean; productionBranch: string; clearedAt: number | null };
}

/** What became of a start request. */
export type StartResult =
  | { kind: "accepted" }
  | { kind: "busy"; retryAfterMs: number }
  | { kind: "failed"; reason: string };

/** The builder as the coordinator sees it; a local HTTP service or one Container per build behind it. */
export interface BuilderClient {
  start(request: BuildRequest): Promise<StartResult>;
  /** Asks the builder to kill a build; never throws (the deployment is canceled either way). */
  cancel(deploymentId: string): Promise<void>;
}

/** Something that answers HTTP: `fetch` itself, or a Container's Durable Object stub. */
export interface HttpTarget {
  fetch(request: Request): Promise<Response>;
}

const START_TIMEOUT_MS = 15_000;
const CANCEL_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY_MS = 5_000;

/** Speaks docs/builder-protocol.md to whatever `targetFor(deploymentId)` reaches. */
export class HttpBuilder implements BuilderClient {
  constructor(
    private readonly base: string,
    private readonly secret: string,
    private readonly targetFor: (deploymentId: string) => HttpTarget,
  ) {}

  async start(request: BuildRequest): Promise<StartResult> {
    const where = `${this.base}/builds`;
    let response: Response;
    try {
      response = await this.targetFor(request.deploymentId).fetch(
        new Request(where, {
          method: "POST",
          headers: { Authorization: `Bearer ${this.secret}`, "Content-Type": "application/json" },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(START_TIMEOUT_MS),
        }),
      );
    } catch (error) {
      return { kind: "failed", reason: `The builder could not be reached (${describe(error)}).` };
    }
    await response.body?.cancel();
    if (response.status === 200 || response.status === 202) return { kind: "accepted" };
    if (response.status === 503 || response.status === 429) {
      const seconds = Number(response.headers.get("Retry-After"));
      return {
        kind: "busy",
        retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_RETRY_MS,
      };
    }
    return { kind: "failed", reason: `The builder refused the build (HTTP ${response.status}).` };
  }

  async cancel(deploymentId: string): Promise<void> {
    try {
      const response = await this.targetFor(deploymentId).fetch(
        new Request(`${this.base}/builds/${encodeURIComponent(deploymentId)}`, {
          method: "DELETE",
          headers: { Authorization: `Bearer ${this.secret}` },
          signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
        }),
      );
      await response.body?.cancel();
    } catch (error) {
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: "cancel at builder failed",
          deploymentId,
          error: describe(error),
        }),
      );
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isNamespace(value: unknown): value is DurableObjectNamespace {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof Reflect.get(value, "idFromName") === "function" &&
    typeof Reflect.get(value, "get") === "function"
  );
}

/**
 * The builder this deployment of Miaobu is configured for: `url` reaches the Node service at BUILDER_URL,
 * `container` starts one Container per build (named by the deployment id) through the `BUILDER` binding.
 */
export function builderFromEnv(env: Env, config: BuildConfig): BuilderClient {
  const { base, targetFor } = builderTarget(env, config);
  return new HttpBuilder(base, config.builderSecret, targetFor);
}

/** How to reach the builder: its base URL and the HTTP target for a given build (or analysis) name. */
export function builderTarget(
  env: Env,
  config: BuildConfig,
): { base: string; targetFor: (name: string) => HttpTarget } {
  if (config.builder === "container") {
    const namespace: unknown = Reflect.get(env, "BUILDER");
    if (!isNamespace(namespace)) {
      throw new Error('MIAOBU_BUILDER is "container" but there is no BUILDER Container binding');
    }
    // The Container class forwards fetch to the builder's port; the host part of the URL is not used.
    return { base: "http://builder", targetFor: (id) => namespace.get(namespace.idFromName(id)) };
  }
  return { base: config.builderUrl, targetFor: () => ({ fetch: (r) => fetch(r) }) };
}
