// The wire format of docs/builder-protocol.md, and the checks a build request must pass.

/** A build request: `POST /builds`. */
export interface BuildRequest {
  deploymentId: string;
  project: { id: string; name: string };
  source: GitSource;
  settings: BuildSettings;
  env: Record<string, string>;
  secretEnvKeys: string[];
  callback: { apiUrl: string; token: string };
  limits: { maxFiles: number; maxFileBytes: number };
  cache: CacheSettings;
}

/** How the build uses the project's build cache (docs/builder.md, "Build cache"). */
export interface CacheSettings {
  /** False for a build "without cache": nothing is restored, and the new cache replaces the old. */
  restore: boolean;
  /** The branch whose cache a branch without one of its own starts from. */
  productionBranch: string;
  /** Caches saved before this time (ms) were cleared by the user and are never restored. */
  clearedAt: number | null;
}

export interface GitSource {
  url: string;
  branch: string;
  commit: string | null;
  rootDir: string | null;
}

export interface BuildSettings {
  framework: string | null;
  installCommand: string | null;
  buildCommand: string | null;
  outputDir: string | null;
  nodeVersion: string | null;
  timeoutSeconds: number;
}

export type BuildStatus = "cloning" | "installing" | "building" | "uploading" | "failed" | "canceled";

/** `POST /api/v1/builds/{id}/events`. */
export interface BuildEvent {
  status: BuildStatus;
  at: number;
  heartbeat?: true;
  commitSha?: string;
  commitMessage?: string;
  framework?: string;
  error?: string;
}

export type LogStream = "stdout" | "stderr" | "system";

/** One line of `POST /api/v1/builds/{id}/logs`. */
export interface LogLine {
  t: number;
  stream: LogStream;
  text: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 1200;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COMMIT = /^[0-9a-f]{7,64}$/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Checks a `POST /builds` body; returns the request or the first problem found. */
export function parseBuildRequest(body: unknown): { request: BuildRequest } | { problem: string } {
  if (!isObject(body)) return { problem: "the body must be a JSON object" };
  const { deploymentId, project, callback } = body;
  if (typeof deploymentId !== "string" || !/^[\w-]{1,100}$/.test(deploymentId))
    return { problem: "deploymentId must be an id" };
  if (!isObject(project) || typeof project.id !== "string" || typeof project.name !== "string")
    return { problem: "project must be { id, name }" };
  const source = parseSource(body.source);
  if ("problem" in source) return source;
  if (!isObject(callback) || typeof callback.apiUrl !== "string" || typeof callback.token !== "string")
    return { problem: "callback must be { apiUrl, token }" };
  if (!/^https?:\/\//.test(callback.apiUrl)) return { problem: "callback.apiUrl must be an http(s) URL" };
  const settings = isObject(body.settings) ? body.settings : {};
  const text = (key: string) => {
    const value = settings[key];
    return typeof value === "string" && value.trim() !== "" ? value : null;
  };
  const timeout = settings.timeoutSeconds;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(isObject(body.env) ? body.env : {})) {
    if (!ENV_NAME.test(key) || typeof value !== "string") return { problem: `env.${key} must be a string` };
    env[key] = value;
  }
  const secretEnvKeys = Array.isArray(body.secretEnvKeys)
    ? body.secretEnvKeys.filter((key): key is string => typeof key === "string")
    : [];
  const limits = isObject(body.limits) ? body.limits : {};
  const cache = isObject(body.cache) ? body.cache : {};
  const branchName = parseSource({ url: "git://x/", branch: cache.productionBranch });
  const positive = (value: unknown, fallback: number) =>
    typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
  return {
    request: {
      deploymentId,
      project: { id: project.id, name: project.name },
      source: source.source,
      settings: {
        framework: text("framework"),
        installCommand: text("installCommand"),
        buildCommand: text("buildCommand"),
        outputDir: text("outputDir"),
        nodeVersion: text("nodeVersion"),
        timeoutSeconds: positive(timeout, DEFAULT_TIMEOUT_SECONDS),
      },
      env,
      secretEnvKeys,
      callback: { apiUrl: callback.apiUrl.replace(/\/+$/, ""), token: callback.token },
      limits: {
        maxFiles: positive(limits.maxFiles, 20_000),
        maxFileBytes: positive(limits.maxFileBytes, 25 * 1024 * 1024),
      },
      cache: {
        restore: cache.restore !== false,
        productionBranch: "source" in branchName ? branchName.source.branch : source.source.branch,
        clearedAt: positive(cache.clearedAt, 0) || null,
      },
    },
  };
}

/** Checks a git source (`POST /builds` and `POST /analyze`). */
export function parseSource(value: unknown): { source: GitSource } | { problem: string } {
  if (!isObject(value)) return { problem: "source must be { url, branch, commit?, rootDir? }" };
  const { url, branch, commit, rootDir } = value;
  if (typeof url !== "string" || !/^(https?|git):\/\/[^\s]+$/.test(url))
    return { problem: "source.url must be an http(s):// or git:// URL" };
  if (
    typeof branch !== "string" ||
    branch === "" ||
    branch.startsWith("-") ||
    /[\s~^:?*[\\]|\.\./.test(branch)
  )
    return { problem: "source.branch must be a branch name" };
  if (commit !== undefined && commit !== null && (typeof commit !== "string" || !COMMIT.test(commit)))
    return { problem: "source.commit must be a commit sha" };
  if (rootDir !== undefined && rootDir !== null && typeof rootDir !== "string")
    return { problem: "source.rootDir must be a folder" };
  const folder = typeof rootDir === "string" ? rootDir.replace(/^\.?\/+|\/+$/g, "") : "";
  if (folder.split("/").some((segment) => segment === "..") || folder.includes("\\") || folder.includes("\0"))
    return { problem: "source.rootDir must stay inside the repository" };
  return {
    source: {
      url,
      branch,
      commit: typeof commit === "string" ? commit : null,
      rootDir: folder === "" ? null : folder,
    },
  };
}
