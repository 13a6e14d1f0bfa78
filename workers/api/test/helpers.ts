import { env, exports } from "cloudflare:workers";
import { hashPassword, newId, randomBase32 } from "@miaobu/shared";
import { expect } from "vitest";

export const PASSWORD = "correct horse battery staple";

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

/** Inserts a user straight into D1, as an operator's seed script would. */
export async function createUser(email = `u-${randomBase32(10)}@example.com`, password = PASSWORD) {
  const id = newId("user");
  await env.DB.prepare(
    "insert into users (id, email, name, password_hash, created_at) values (?, ?, ?, ?, ?)",
  )
    .bind(id, email, "Test User", await hashPassword(password), Date.now())
    .run();
  return { id, email };
}

interface RequestOptions {
  method?: string;
  token?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

/** A request through the Worker's own fetch. */
export function api(path: string, { method, token, json, body, headers = {} }: RequestOptions = {}) {
  const h = new Headers(headers);
  if (token) h.set("Authorization", `Bearer ${token}`);
  let payload = body;
  if (json !== undefined) {
    h.set("Content-Type", "application/json");
    payload = JSON.stringify(json);
  }
  return exports.default.fetch(`http://localhost${path}`, {
    method: method ?? (payload === undefined ? "GET" : "POST"),
    headers: h,
    body: payload ?? null,
  });
}

/** Logs in and returns the token. */
export async function login(email: string, password = PASSWORD): Promise<string> {
  const res = await api("/api/v1/auth/login", { json: { email, password } });
  expect(res.status).toBe(201);
  const body = await res.json<{ token: string }>();
  return body.token;
}

/** A new user with a fresh token. */
export async function newUser(): Promise<TestUser> {
  const user = await createUser();
  return { ...user, token: await login(user.email) };
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId: string;
  errors?: { field: string; message: string }[];
  missing?: { hash: string; paths: string[] }[];
}

/** Asserts a problem+json answer with `status` and `code` and returns it. */
export async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = await res.json<Problem>();
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
  expect(body.status).toBe(status);
  expect(body.requestId).toMatch(/^req_/);
  expect(res.headers.get("X-Request-Id")).toBe(body.requestId);
  return body;
}

export async function sha256(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface TestFile {
  path: string;
  hash: string;
  size: number;
  bytes: Uint8Array;
}

/** A file of a deployment with its hash. */
export async function file(path: string, content: string | Uint8Array): Promise<TestFile> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return { path, hash: await sha256(bytes), size: bytes.byteLength, bytes };
}

export const manifestOf = (files: TestFile[]) => files.map(({ path, hash, size }) => ({ path, hash, size }));

export function uniqueName(prefix = "site"): string {
  return `${prefix}-${randomBase32(8)}`;
}

export interface ProjectJson {
  id: string;
  name: string;
  productionBranch: string;
  productionDeploymentId: string | null;
  productionUrl: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentJson {
  id: string;
  shortId: string;
  projectId: string;
  project: string;
  status: string;
  environment: string;
  branch: string;
  commitSha: string | null;
  commitMessage: string | null;
  source: string;
  fileCount: number;
  totalBytes: number;
  url: string;
  aliases: string[];
  isProduction: boolean;
  createdAt: string;
  readyAt: string | null;
  errorMessage: string | null;
}

export async function createProject(token: string, name = uniqueName()): Promise<ProjectJson> {
  const res = await api("/api/v1/projects", { token, json: { name } });
  expect(res.status).toBe(201);
  return (await res.json<{ project: ProjectJson }>()).project;
}

export interface Created {
  deployment: DeploymentJson;
  missing: string[];
  limits: { maxFileBytes: number; maxFiles: number; maxBatchBytes: number; maxBatchFiles: number };
}

export async function createDeployment(
  token: string,
  project: string,
  files: TestFile[],
  extra: Record<string, unknown> = {},
): Promise<Created> {
  const res = await api(`/api/v1/projects/${project}/deployments`, {
    token,
    json: { ...extra, files: manifestOf(files) },
  });
  expect(res.status).toBe(201);
  return res.json<Created>();
}

export function putBlob(token: string, deploymentId: string, hash: string, bytes: Uint8Array) {
  return api(`/api/v1/deployments/${deploymentId}/blobs/${hash}`, {
    method: "PUT",
    token,
    body: bytes,
    headers: { "Content-Type": "application/octet-stream" },
  });
}

/** Creates, uploads what is missing, finalizes; returns the ready deployment. */
export async function deploy(
  token: string,
  project: string,
  files: TestFile[],
  extra: Record<string, unknown> = {},
): Promise<DeploymentJson> {
  const created = await createDeployment(token, project, files, extra);
  for (const hash of created.missing) {
    const f = files.find((x) => x.hash === hash);
    if (!f) throw new Error("missing hash not in files");
    expect((await putBlob(token, created.deployment.id, hash, f.bytes)).status).toBe(201);
  }
  const res = await api(`/api/v1/deployments/${created.deployment.id}/finalize`, { method: "POST", token });
  expect(res.status).toBe(200);
  return (await res.json<{ deployment: DeploymentJson }>()).deployment;
}

/** The routes rows of a project, hostname → deployment id. */
export async function routesOf(
  projectId: string,
): Promise<Record<string, { deploymentId: string; kind: string }>> {
  const { results } = await env.DB.prepare(
    "select hostname, deployment_id, kind from routes where project_id = ? order by hostname",
  )
    .bind(projectId)
    .all<{ hostname: string; deployment_id: string; kind: string }>();
  return Object.fromEntries(
    results.map((r) => [r.hostname, { deploymentId: r.deployment_id, kind: r.kind }]),
  );
}
