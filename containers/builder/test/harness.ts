import { randomBytes } from "node:crypto";
import type { GitServer } from "../../../test/support/git.ts";
import type { BuildRequest } from "../src/index.ts";

export { freePort, GitServer, waitForPort } from "../../../test/support/git.ts";

/** A build request for a repository of the git server, with a fresh id and token. */
export function buildRequest(
  git: GitServer,
  apiUrl: string,
  repo: string,
  overrides: Partial<Pick<BuildRequest, "env" | "secretEnvKeys" | "limits" | "cache">> & {
    branch?: string;
    commit?: string | null;
    settings?: Partial<BuildRequest["settings"]>;
  } = {},
): BuildRequest {
  return {
    deploymentId: `dpl_${randomBytes(6).toString("hex")}`,
    project: { id: "prj_test", name: "site" },
    source: {
      url: git.url(repo),
      branch: overrides.branch ?? "main",
      commit: overrides.commit ?? null,
      rootDir: null,
    },
    settings: {
      framework: null,
      installCommand: null,
      buildCommand: null,
      outputDir: null,
      nodeVersion: null,
      timeoutSeconds: 300,
      ...overrides.settings,
    },
    env: overrides.env ?? {},
    secretEnvKeys: overrides.secretEnvKeys ?? [],
    callback: { apiUrl, token: `mbd_${randomBytes(24).toString("hex")}` },
    limits: overrides.limits ?? { maxFiles: 20_000, maxFileBytes: 25 * 1024 * 1024 },
    cache: overrides.cache ?? { restore: true, productionBranch: "main", clearedAt: null },
  };
}

/** Sends a request to the builder. */
export async function call(
  builderUrl: string,
  secret: string,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${builderUrl}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
