import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
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
  routesOf,
} from "./helpers.ts";

interface Answer {
  deployment: DeploymentJson;
  project: ProjectJson;
}

const promote = (token: string, id: string) =>
  api(`/api/v1/deployments/${id}/promote`, { method: "POST", token });
const rollback = (token: string, project: string, json?: unknown) =>
  api(
    `/api/v1/projects/${project}/rollback`,
    json === undefined ? { method: "POST", token } : { token, json },
  );

async function productionOf(projectId: string, name: string): Promise<string | undefined> {
  return (await routesOf(projectId))[`${name}.localhost`]?.deploymentId;
}

describe("promote", () => {
  it("makes a ready preview deployment production, changing only the production route", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const prod = await deploy(token, project.id, [await file("a.txt", "1")]);
    const preview = await deploy(token, project.id, [await file("a.txt", "2")], { branch: "next" });
    const before = await routesOf(project.id);

    const res = await promote(token, preview.id);
    expect(res.status).toBe(200);
    const body = await res.json<Answer>();
    expect(body.project.productionDeploymentId).toBe(preview.id);
    expect(body.deployment.isProduction).toBe(true);
    expect(body.deployment.aliases).toEqual([
      `http://${project.name}.localhost:8788`,
      `http://next--${project.name}.localhost:8788`,
    ]);

    const after = await routesOf(project.id);
    expect(after[`${project.name}.localhost`]).toEqual({ deploymentId: preview.id, kind: "production" });
    expect(after[`main--${project.name}.localhost`]?.deploymentId).toBe(prod.id);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    const row = await env.DB.prepare("select production_deployment_id from projects where id = ?")
      .bind(project.id)
      .first<{ production_deployment_id: string }>();
    expect(row?.production_deployment_id).toBe(preview.id);
  });

  it("answers 409 for a deployment that is not ready", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const created = await createDeployment(token, project.id, [await file("a.txt", "1")]);
    await expectProblem(await promote(token, created.deployment.id), 409, "conflict");
    expect(await routesOf(project.id)).toEqual({});
  });
});

describe("rollback", () => {
  it("by default goes back to the previous production deployment, and again to the one before", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const v1 = await deploy(token, project.id, [await file("a.txt", "1")]);
    const v2 = await deploy(token, project.id, [await file("a.txt", "2")]);
    // A newer preview that never was production must not be a rollback target.
    await deploy(token, project.id, [await file("a.txt", "p")], { branch: "preview" });
    const v3 = await deploy(token, project.id, [await file("a.txt", "3")]);
    expect(await productionOf(project.id, project.name)).toBe(v3.id);

    const first = await rollback(token, project.name);
    expect(first.status).toBe(200);
    const body = await first.json<Answer>();
    expect(body.deployment.id).toBe(v2.id);
    expect(body.project.productionDeploymentId).toBe(v2.id);
    expect(await productionOf(project.id, project.name)).toBe(v2.id);
    // The branch alias stays on the newest main deployment; rollback moves production only.
    expect((await routesOf(project.id))[`main--${project.name}.localhost`]?.deploymentId).toBe(v3.id);

    // The previous production is now v3, so rolling back again undoes the rollback.
    const second = await rollback(token, project.id);
    expect((await second.json<Answer>()).deployment.id).toBe(v3.id);
    expect(await productionOf(project.id, project.name)).toBe(v3.id);

    const explicit = await rollback(token, project.id, { deploymentId: v1.id });
    expect(explicit.status).toBe(200);
    expect((await explicit.json<Answer>()).deployment.id).toBe(v1.id);
    expect(await productionOf(project.id, project.name)).toBe(v1.id);
  });

  it("answers 409 when there is nothing to roll back to", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    await expectProblem(await rollback(token, project.id), 409, "conflict");
    const only = await deploy(token, project.id, [await file("a.txt", "1")]);
    await expectProblem(await rollback(token, project.id), 409, "conflict");
    expect(await productionOf(project.id, project.name)).toBe(only.id);
  });

  it("refuses a target that is not ready, not in the project, or unknown fields", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const other = await createProject(token);
    await deploy(token, project.id, [await file("a.txt", "1")]);
    const pending = await createDeployment(token, project.id, [await file("a.txt", "2")]);
    const elsewhere = await deploy(token, other.id, [await file("a.txt", "3")]);
    await expectProblem(
      await rollback(token, project.id, { deploymentId: pending.deployment.id }),
      409,
      "conflict",
    );
    await expectProblem(await rollback(token, project.id, { deploymentId: elsewhere.id }), 404, "not_found");
    await expectProblem(await rollback(token, project.id, { to: "x" }), 400, "bad_request");
  });
});
