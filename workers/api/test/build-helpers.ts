import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { api, type DeploymentJson, type ProjectJson, uniqueName } from "./helpers.ts";

/** A build request as the builder stub (vitest.builder-stub.ts) received it. */
export interface BuildRequestJson {
  deploymentId: string;
  project: { id: string; name: string };
  source: { url: string; branch: string; commit: string | null; rootDir: string | null };
  settings: Record<string, unknown>;
  env: Record<string, string>;
  secretEnvKeys: string[];
  callback: { apiUrl: string; token: string };
  limits: { maxFiles: number; maxFileBytes: number };
  cache: { restore: boolean; productionBranch: string; clearedAt: number | null };
}

interface StubRecord {
  method: string;
  path: string;
  authorization: string;
  body: unknown;
}

export const GIT_URL = "git://127.0.0.1:9418/site.git";

/** A project linked to a git repository. */
export async function gitProject(
  token: string,
  name = uniqueName(),
  extra: Record<string, unknown> = {},
): Promise<ProjectJson> {
  const res = await api("/api/v1/projects", { token, json: { name, gitUrl: GIT_URL, ...extra } });
  expect(res.status).toBe(201);
  return (await res.json<{ project: ProjectJson }>()).project;
}

/** `POST /projects/:project/builds`, expecting 202. */
export async function trigger(
  token: string,
  project: string,
  body: Record<string, unknown> = {},
): Promise<DeploymentJson> {
  const res = await api(`/api/v1/projects/${project}/builds`, { token, json: body });
  expect(res.status).toBe(202);
  return (await res.json<{ deployment: DeploymentJson }>()).deployment;
}

/** Everything the builder stub received, oldest first. */
export async function stubRecords(): Promise<StubRecord[]> {
  const res = await fetch(`${env.BUILDER_URL}/__requests`);
  return res.json<StubRecord[]>();
}

/** The `POST /builds` requests the builder received for a deployment. */
export async function startsOf(deploymentId: string): Promise<BuildRequestJson[]> {
  return (await stubRecords())
    .filter((r) => r.method === "POST" && r.path === "/builds")
    .map((r) => r.body as BuildRequestJson)
    .filter((b) => b.deploymentId === deploymentId);
}

/** The one build request of a started deployment. */
export async function startOf(deploymentId: string): Promise<BuildRequestJson> {
  const starts = await startsOf(deploymentId);
  expect(starts).toHaveLength(1);
  const [first] = starts;
  if (!first) throw new Error("not started");
  return first;
}

/** The `DELETE /builds/:id` requests the builder received for a deployment. */
export async function cancelsOf(deploymentId: string): Promise<number> {
  return (await stubRecords()).filter((r) => r.method === "DELETE" && r.path === `/builds/${deploymentId}`)
    .length;
}

/** A builder callback with a deployment's callback token. */
export function callback(token: string, path: string, json: unknown) {
  return api(`/api/v1/builds/${path}`, { token, json });
}

/** Reports a status (or a failure) as the builder does. */
export async function report(token: string, deploymentId: string, event: Record<string, unknown>) {
  const res = await callback(token, `${deploymentId}/events`, event);
  expect(res.status).toBe(200);
  return res.json<{ status: string }>();
}

interface Row {
  status: string;
  started_at: number | null;
  finished_at: number | null;
  heartbeat_at: number | null;
  error_message: string | null;
  phases: string | null;
  commit_sha: string | null;
  commit_message: string | null;
  framework: string | null;
  callback_token_hash: string | null;
  skip_cache: number;
}

/** The deployment's row in D1. */
export async function row(deploymentId: string): Promise<Row> {
  const found = await env.DB.prepare("select * from deployments where id = ?")
    .bind(deploymentId)
    .first<Row>();
  if (!found) throw new Error(`no deployment ${deploymentId}`);
  return found;
}

/** The coordinator stub of a project. */
export function coordinator(projectId: string) {
  return env.PROJECT_COORDINATOR.get(env.PROJECT_COORDINATOR.idFromName(projectId));
}

/** The build log stub of a deployment. */
export function buildLog(deploymentId: string) {
  return env.BUILD_LOG.get(env.BUILD_LOG.idFromName(deploymentId));
}

/**
 * Ends every running build in D1, so the next test of the file starts with all global build slots free
 * (test files have their own storage, tests of one file share it).
 */
export async function freeBuildSlots(): Promise<void> {
  await env.DB.prepare(
    "update deployments set status = 'failed', finished_at = ? where started_at is not null and finished_at is null",
  )
    .bind(Date.now())
    .run();
}
