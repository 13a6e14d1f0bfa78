import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { GitServer } from "../../../test/support/git.ts";
import { type BuilderOptions, type BuildRequest, type RunningBuilder, startBuilder } from "../src/index.ts";

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

/** The fake API as the fixture uses it (typed here so that bench code importing this file needs no DOM types). */
interface Service {
  start(): Promise<unknown>;
  close(): Promise<void>;
}

/** What a test file of the builder runs against: a git server, a fake API, a builder in a fresh folder. */
export interface BuilderFixture {
  git: GitServer;
  api: Service;
  builder: RunningBuilder;
  dataDir: string;
}

/** Starts the git server and the fake API, then a builder in a fresh folder with `options`. */
export async function startFixture(
  git: GitServer,
  api: Service,
  options: Pick<BuilderOptions, "secret"> & Partial<BuilderOptions>,
): Promise<BuilderFixture> {
  await git.start();
  await api.start();
  const dataDir = await mkdtemp(path.join(tmpdir(), "miaobu-builder-"));
  // Build users pass through to their own workspace; they never list the folder.
  await chmod(dataDir, 0o711);
  const builder = await startBuilder({
    port: 0,
    workDir: path.join(dataDir, "work"),
    cacheDir: path.join(dataDir, "cache"),
    log: () => {},
    ...options,
  });
  return { git, api, builder, dataDir };
}

/** Stops what `startFixture` started and removes its folders. */
export async function stopFixture(fixture: BuilderFixture | undefined): Promise<void> {
  if (!fixture) return;
  await fixture.builder.close();
  // A builder that closes leaves no filesystem mounted (kept images are unmounted clean).
  const mounts = await readFile("/proc/self/mounts", "utf8").catch(() => "");
  if (mounts.includes(` ${fixture.dataDir}`))
    throw new Error(`builder.close() left mounts in ${fixture.dataDir}`);
  await fixture.api.close();
  fixture.git.stop();
  await rm(fixture.dataDir, { recursive: true, force: true });
  await rm(fixture.git.base, { recursive: true, force: true });
}
