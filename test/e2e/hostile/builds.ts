// Drives builds of hostile repositories through the real API and CLI, and reads what they left behind.
import type { GitServer } from "../../../containers/builder/test/harness.ts";
import { getSite, runCli, savedToken, type TestPlatform } from "../../support/platform.ts";
import { type CommitSpec, commitRepo } from "./repos.ts";

/** How a build ended, as its owner sees it. */
export interface FinishedBuild {
  id: string;
  status: string;
  errorMessage: string | null;
  /** The whole build log from the API's log endpoint. */
  log: string;
}

async function api(t: TestPlatform, method: string, pathname: string, body?: unknown): Promise<Response> {
  const token = await savedToken(t);
  return fetch(`${t.platform.apiUrl}/api/v1${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Creates a project building `gitUrl` (from `rootDir`, when given); throws with the CLI's words. */
export async function createProject(
  t: TestPlatform,
  name: string,
  gitUrl: string,
  rootDir?: string,
): Promise<void> {
  const args = ["projects", "create", name, "--git", gitUrl, ...(rootDir ? ["--root-dir", rootDir] : [])];
  const created = await runCli(t, [...args, "--json"]);
  if (created.code !== 0) throw new Error(`miaobu projects create ${name} failed: ${created.stderr}`);
}

/** Queues a build of the project's production branch; returns the deployment id. */
export async function triggerBuild(t: TestPlatform, project: string): Promise<string> {
  const res = await api(t, "POST", `/projects/${project}/builds`, {});
  if (res.status !== 202 && res.status !== 201)
    throw new Error(`triggering ${project} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { deployment: { id: string } }).deployment.id;
}

/** Waits for the build to end (`miaobu logs --follow`) and returns its status, error and log. */
export async function finishedBuild(t: TestPlatform, id: string): Promise<FinishedBuild> {
  const followed = await runCli(t, ["logs", id, "--follow"]);
  const res = await api(t, "GET", `/deployments/${id}`);
  const { deployment } = (await res.json()) as {
    deployment: { status: string; errorMessage: string | null };
  };
  if (deployment.status !== "ready" && deployment.status !== "failed" && deployment.status !== "canceled")
    throw new Error(`${id} is still ${deployment.status} after miaobu logs --follow: ${followed.stderr}`);
  const log = await (await api(t, "GET", `/deployments/${id}/logs`)).text();
  return { id, status: deployment.status, errorMessage: deployment.errorMessage, log };
}

/** Triggers a build and waits for its end. */
export async function buildOnce(t: TestPlatform, project: string): Promise<FinishedBuild> {
  return finishedBuild(t, await triggerBuild(t, project));
}

/** What a build said, for assertion messages. */
export function describeBuild(build: FinishedBuild): string {
  return `build ${build.id} ${build.status}${build.errorMessage ? ` (${build.errorMessage})` : ""}\n${build.log}`;
}

/**
 * The `dist/result.json` a ready hostile build deployed. A promotion reaches the router within its route
 * cache bound (2 s), so this waits a little longer than that for the file to appear.
 */
export async function deployedResult<T>(t: TestPlatform, project: string, build: FinishedBuild): Promise<T> {
  if (build.status !== "ready") throw new Error(`no result to read: ${describeBuild(build)}`);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await getSite(t, `${project}.localhost`, "/result.json");
    if (res.status === 200) return JSON.parse(res.body) as T;
    if (Date.now() > deadline) throw new Error(`${project}/result.json answered ${res.status}: ${res.body}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Builds started up front (so they run while others are checked), each awaited by the test that checks it. */
export class StartedBuilds {
  readonly #builds = new Map<string, Promise<FinishedBuild>>();
  readonly #platform: () => TestPlatform;
  readonly #git: GitServer;

  /** `platform` is read when a build starts: suites make their platform in `beforeAll`. */
  constructor(platform: () => TestPlatform, git: GitServer) {
    this.#platform = platform;
    this.#git = git;
  }

  /** Commits `spec` as repository `name`, creates the project (in `rootDir`) and starts its build. */
  async start(name: string, spec: CommitSpec, rootDir?: string): Promise<void> {
    const t = this.#platform();
    await commitRepo(this.#git, name, spec, `hostile: ${name}`);
    await createProject(t, name, this.#git.url(name), rootDir);
    const done = finishedBuild(t, await triggerBuild(t, name));
    done.catch(() => undefined); // Awaited by its test; a rejection must not surface before then.
    this.#builds.set(name, done);
  }

  of(name: string): Promise<FinishedBuild> {
    const build = this.#builds.get(name);
    if (!build) throw new Error(`no build of ${name} was started`);
    return build;
  }
}
