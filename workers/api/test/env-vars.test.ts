import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { freeBuildSlots, gitProject, report, startOf, trigger } from "./build-helpers.ts";
import { api, createProject, expectProblem, newUser, type ProjectJson, type TestUser } from "./helpers.ts";

interface EnvVarJson {
  key: string;
  environment: string;
  secret: boolean;
  value: string | null;
  updatedAt: string;
}

afterEach(freeBuildSlots);

const put = (token: string, project: string, environment: string, key: string, body: unknown) =>
  api(`/api/v1/projects/${project}/env/${environment}/${key}`, { method: "PUT", token, json: body });

let alice: TestUser;
let bob: TestUser;
let project: ProjectJson;
beforeAll(async () => {
  alice = await newUser();
  bob = await newUser();
  project = await createProject(alice.token);
});

describe("environment variables", () => {
  it("sets, lists (secrets masked), replaces and removes", async () => {
    const set = await put(alice.token, project.id, "production", "PUBLIC_API", { value: "https://x" });
    expect(set.status).toBe(200);
    const { variable } = await set.json<{ variable: EnvVarJson }>();
    expect(variable).toMatchObject({
      key: "PUBLIC_API",
      environment: "production",
      secret: false,
      value: "https://x",
    });
    const secret = await put(alice.token, project.name, "preview", "API_KEY", {
      value: "s3cr3t",
      secret: true,
    });
    expect(await secret.json()).toMatchObject({ variable: { key: "API_KEY", secret: true, value: null } });

    const list = await api(`/api/v1/projects/${project.id}/env`, { token: alice.token });
    const body = await list.json<{ variables: EnvVarJson[] }>();
    expect(
      body.variables.map(({ key, environment, secret, value }) => ({ key, environment, secret, value })),
    ).toEqual([
      { key: "API_KEY", environment: "preview", secret: true, value: null },
      { key: "PUBLIC_API", environment: "production", secret: false, value: "https://x" },
    ]);
    expect(JSON.stringify(body)).not.toContain("s3cr3t");
    // Encrypted at rest: the stored text is neither value.
    const stored = await env.DB.prepare("select value_encrypted from env_vars where project_id = ?")
      .bind(project.id)
      .all<{ value_encrypted: string }>();
    for (const row of stored.results) {
      expect(row.value_encrypted).toMatch(/^v1\./);
      expect(row.value_encrypted).not.toContain("s3cr3t");
      expect(row.value_encrypted).not.toContain("https://x");
    }

    expect((await put(alice.token, project.id, "production", "PUBLIC_API", { value: "2" })).status).toBe(200);
    const del = await api(`/api/v1/projects/${project.id}/env/production/PUBLIC_API`, {
      method: "DELETE",
      token: alice.token,
    });
    expect(del.status).toBe(204);
    await expectProblem(
      await api(`/api/v1/projects/${project.id}/env/production/PUBLIC_API`, {
        method: "DELETE",
        token: alice.token,
      }),
      404,
      "not_found",
    );
  });

  it("checks keys, values, environments and the count", async () => {
    const p = await createProject(alice.token);
    for (const key of ["1ABC", "A-B", `A${"B".repeat(128)}`, "MIAOBU_X", "miaobu_x"]) {
      await expectProblem(
        await put(alice.token, p.id, "production", key, { value: "v" }),
        422,
        "invalid_input",
      );
    }
    await expectProblem(await put(alice.token, p.id, "staging", "A", { value: "v" }), 404, "not_found");
    await expectProblem(
      await put(alice.token, p.id, "production", "A", { value: "x".repeat(64 * 1024 + 1) }),
      413,
      "payload_too_large",
    );
    expect((await put(alice.token, p.id, "production", "A", { value: "x".repeat(64 * 1024) })).status).toBe(
      200,
    );
    await expectProblem(await put(alice.token, p.id, "production", "A", { value: 1 }), 400, "bad_request");
    await expectProblem(
      await put(alice.token, p.id, "production", "A", { value: "v", other: 1 }),
      400,
      "bad_request",
    );
    for (let i = 1; i < 100; i += 1) {
      expect((await put(alice.token, p.id, "production", `K${i}`, { value: "v" })).status).toBe(200);
    }
    await expectProblem(
      await put(alice.token, p.id, "production", "ONE_MORE", { value: "v" }),
      422,
      "invalid_input",
    );
    // Replacing an existing one is still fine at the limit, and the other environment has its own count.
    expect((await put(alice.token, p.id, "production", "K1", { value: "w" })).status).toBe(200);
    expect((await put(alice.token, p.id, "preview", "ONE_MORE", { value: "v" })).status).toBe(200);
  });

  it("authorization: no token, another user's project", async () => {
    await expectProblem(await api(`/api/v1/projects/${project.id}/env`), 401, "unauthorized");
    await expectProblem(
      await api(`/api/v1/projects/${project.id}/env`, { token: bob.token }),
      404,
      "not_found",
    );
    await expectProblem(
      await put(bob.token, project.id, "preview", "API_KEY", { value: "x" }),
      404,
      "not_found",
    );
    await expectProblem(
      await api(`/api/v1/projects/${project.id}/env/preview/API_KEY`, { method: "DELETE", token: bob.token }),
      404,
      "not_found",
    );
  });

  it("are injected into builds of their environment, secrets listed for masking", async () => {
    const p = await gitProject(alice.token);
    await put(alice.token, p.id, "production", "PUBLIC_API", { value: "https://prod" });
    await put(alice.token, p.id, "production", "TOKEN", { value: "prod-secret", secret: true });
    await put(alice.token, p.id, "preview", "PUBLIC_API", { value: "https://preview" });
    const prod = await trigger(alice.token, p.id);
    const request = await startOf(prod.id);
    expect(request.env).toEqual({ PUBLIC_API: "https://prod", TOKEN: "prod-secret" });
    expect(request.secretEnvKeys).toEqual(["TOKEN"]);
    const start = await startOf(prod.id);
    await report(start.callback.token, prod.id, { status: "failed", error: "x" });
    const preview = await trigger(alice.token, p.id, { branch: "feature" });
    const previewRequest = await startOf(preview.id);
    expect(previewRequest.env).toEqual({ PUBLIC_API: "https://preview" });
    expect(previewRequest.secretEnvKeys).toEqual([]);
  });
});
