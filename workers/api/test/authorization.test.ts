import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createDeployment,
  createProject,
  type DeploymentJson,
  deploy,
  expectProblem,
  file,
  newUser,
  type ProjectJson,
  putBlob,
  routesOf,
  sha256,
  type TestFile,
  type TestUser,
} from "./helpers.ts";

// Alice owns everything here; Bob, authenticated, must see none of it.
let alice: TestUser;
let bob: TestUser;
let project: ProjectJson;
let ready: DeploymentJson;
let uploading: DeploymentJson;
let pendingFile: TestFile;

beforeAll(async () => {
  alice = await newUser();
  bob = await newUser();
  project = await createProject(alice.token);
  ready = await deploy(alice.token, project.id, [await file("index.html", "v1")]);
  await deploy(alice.token, project.id, [await file("index.html", "v2")]);
  pendingFile = await file("new.txt", "pending");
  uploading = (await createDeployment(alice.token, project.id, [pendingFile])).deployment;
});

describe("another user's resources answer 404", () => {
  const cases: [string, () => Promise<Response>][] = [
    ["get project by id", () => api(`/api/v1/projects/${project.id}`, { token: bob.token })],
    ["get project by name", () => api(`/api/v1/projects/${project.name}`, { token: bob.token })],
    [
      "patch project",
      () =>
        api(`/api/v1/projects/${project.id}`, {
          method: "PATCH",
          token: bob.token,
          json: { productionBranch: "x" },
        }),
    ],
    ["delete project", () => api(`/api/v1/projects/${project.id}`, { method: "DELETE", token: bob.token })],
    ["list deployments", () => api(`/api/v1/projects/${project.id}/deployments`, { token: bob.token })],
    [
      "deploy",
      () =>
        api(`/api/v1/projects/${project.id}/deployments`, {
          token: bob.token,
          json: { files: [{ path: "x", hash: pendingFile.hash, size: 1 }] },
        }),
    ],
    ["get deployment", () => api(`/api/v1/deployments/${ready.id}`, { token: bob.token })],
    ["upload", () => putBlob(bob.token, uploading.id, pendingFile.hash, pendingFile.bytes)],
    [
      "upload batch",
      () => {
        const form = new FormData();
        form.append(pendingFile.hash, new Blob([pendingFile.bytes]));
        return api(`/api/v1/deployments/${uploading.id}/blobs`, { token: bob.token, body: form });
      },
    ],
    [
      "finalize",
      () => api(`/api/v1/deployments/${uploading.id}/finalize`, { method: "POST", token: bob.token }),
    ],
    ["promote", () => api(`/api/v1/deployments/${ready.id}/promote`, { method: "POST", token: bob.token })],
    ["rollback", () => api(`/api/v1/projects/${project.id}/rollback`, { method: "POST", token: bob.token })],
  ];

  it.each(cases)("%s", async (_name, request) => {
    const routesBefore = await routesOf(project.id);
    await expectProblem(await request(), 404, "not_found");
    expect(await routesOf(project.id)).toEqual(routesBefore);
  });

  it("left Alice's project, deployments and files as they were", async () => {
    const res = await api(`/api/v1/projects/${project.id}`, { token: alice.token });
    expect((await res.json<{ project: ProjectJson }>()).project.productionBranch).toBe("main");
    const count = await env.DB.prepare("select count(*) as n from deployments where project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(3);
    const blob = await env.STORAGE.head(`projects/${project.id}/blobs/${pendingFile.hash}`);
    expect(blob).toBeNull();
    const list = await api("/api/v1/projects", { token: bob.token });
    expect((await list.json<{ projects: ProjectJson[] }>()).projects).toEqual([]);
  });

  it("a rollback from Bob's project cannot target Alice's deployment", async () => {
    const own = await createProject(bob.token);
    await deploy(bob.token, own.id, [await file("a", "a")]);
    const res = await api(`/api/v1/projects/${own.id}/rollback`, {
      token: bob.token,
      json: { deploymentId: ready.id },
    });
    await expectProblem(res, 404, "not_found");
  });
});

describe("every API route needs a valid token", () => {
  const routes: [string, string][] = [
    ["GET", "/api/v1/me"],
    ["GET", "/api/v1/projects"],
    ["POST", "/api/v1/projects"],
    ["GET", "/api/v1/projects/x"],
    ["PATCH", "/api/v1/projects/x"],
    ["DELETE", "/api/v1/projects/x"],
    ["GET", "/api/v1/projects/x/deployments"],
    ["POST", "/api/v1/projects/x/deployments"],
    ["POST", "/api/v1/projects/x/rollback"],
    ["GET", "/api/v1/deployments/x"],
    ["PUT", "/api/v1/deployments/x/blobs/y"],
    ["POST", "/api/v1/deployments/x/blobs"],
    ["POST", "/api/v1/deployments/x/finalize"],
    ["POST", "/api/v1/deployments/x/promote"],
  ];

  it.each(routes)("%s %s without a token → 401", async (method, path) => {
    await expectProblem(await api(path, { method }), 401, "unauthorized");
  });

  it.each(routes)("%s %s with an unknown token → 401", async (method, path) => {
    await expectProblem(await api(path, { method, token: "mb_unknown" }), 401, "unauthorized");
  });

  it("an expired token → 401 token_expired on a project route", async () => {
    const user = await newUser();
    await env.DB.prepare("update api_tokens set expires_at = 0 where token_hash = ?")
      .bind(await sha256(user.token))
      .run();
    const body = await expectProblem(
      await api("/api/v1/projects", { token: user.token }),
      401,
      "token_expired",
    );
    expect(body.detail).toContain("miaobu login");
  });
});
