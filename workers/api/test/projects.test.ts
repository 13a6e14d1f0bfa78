import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  api,
  createProject,
  deploy,
  expectProblem,
  file,
  newUser,
  type ProjectJson,
  routesOf,
  uniqueName,
} from "./helpers.ts";

describe("projects", () => {
  it("creates a project with a trimmed, lowercased name and its production URL", async () => {
    const { token } = await newUser();
    const name = uniqueName();
    const res = await api("/api/v1/projects", { token, json: { name: `  ${name.toUpperCase()} ` } });
    expect(res.status).toBe(201);
    const { project } = await res.json<{ project: ProjectJson }>();
    expect(project).toMatchObject({
      name,
      productionBranch: "main",
      productionDeploymentId: null,
      productionUrl: `http://${name}.localhost:8788`,
    });
    expect(project.id).toMatch(/^prj_[0-9a-z]{26}$/);
    expect(Date.parse(project.createdAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("accepts a production branch", async () => {
    const { token } = await newUser();
    const res = await api("/api/v1/projects", {
      token,
      json: { name: uniqueName(), productionBranch: "trunk" },
    });
    expect((await res.json<{ project: ProjectJson }>()).project.productionBranch).toBe("trunk");
  });

  it.each([
    ["", "empty"],
    ["a".repeat(41), "longer than 40"],
    ["my_site", "lowercase letters"],
    ["-site", "starting and ending"],
    ["site-", "starting and ending"],
    ["my--site", "'--'"],
  ])("refuses the name %j with 422 naming the rule", async (name, rule) => {
    const { token } = await newUser();
    const body = await expectProblem(
      await api("/api/v1/projects", { token, json: { name } }),
      422,
      "invalid_input",
    );
    expect(body.detail).toContain(rule);
    expect(body.errors?.[0]?.field).toBe("name");
  });

  it("answers 409 when the name is taken, even by another user", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const name = uniqueName();
    await createProject(alice.token, name);
    const body = await expectProblem(
      await api("/api/v1/projects", { token: bob.token, json: { name: name.toUpperCase() } }),
      409,
      "conflict",
    );
    expect(body.detail).toContain(name);
  });

  it("refuses unknown fields and wrong types with 400", async () => {
    const { token } = await newUser();
    const unknown = await expectProblem(
      await api("/api/v1/projects", { token, json: { name: uniqueName(), owner: "x" } }),
      400,
      "bad_request",
    );
    expect(unknown.errors).toEqual([{ field: "owner", message: "unknown field" }]);
    await expectProblem(await api("/api/v1/projects", { token, json: { name: 42 } }), 400, "bad_request");
    await expectProblem(await api("/api/v1/projects", { token, json: ["x"] }), 400, "bad_request");
  });

  it("lists only the user's projects, newest first", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const first = await createProject(alice.token);
    const second = await createProject(alice.token);
    await createProject(bob.token);
    const res = await api("/api/v1/projects", { token: alice.token });
    const { projects, nextCursor } = await res.json<{ projects: ProjectJson[]; nextCursor: string | null }>();
    expect(projects.map((p) => p.id)).toEqual([second.id, first.id]);
    expect(nextCursor).toBeNull();
  });

  it("lists a page at a time, with a cursor, and refuses a bad limit or cursor", async () => {
    const { token } = await newUser();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createProject(token));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await api(`/api/v1/projects${query}`, { token });
      expect(res.status).toBe(200);
      const page = await res.json<{ projects: ProjectJson[]; nextCursor: string | null }>();
      expect(page.projects.length).toBeLessThanOrEqual(2);
      seen.push(...page.projects.map((p) => p.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(made.map((p) => p.id).reverse());
    expect(pages).toBe(3);
    await expectProblem(await api("/api/v1/projects?limit=101", { token }), 422, "invalid_input");
    await expectProblem(await api("/api/v1/projects?cursor=dpl_x", { token }), 422, "invalid_input");
  });

  it("gets a project by id or by name", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    for (const key of [project.id, project.name]) {
      const res = await api(`/api/v1/projects/${key}`, { token });
      expect(res.status).toBe(200);
      expect((await res.json<{ project: ProjectJson }>()).project).toEqual(project);
    }
    await expectProblem(await api("/api/v1/projects/nothing-here", { token }), 404, "not_found");
  });

  it("patches the production branch", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const res = await api(`/api/v1/projects/${project.name}`, {
      method: "PATCH",
      token,
      json: { productionBranch: "release" },
    });
    expect(res.status).toBe(200);
    expect((await res.json<{ project: ProjectJson }>()).project.productionBranch).toBe("release");
    const again = await api(`/api/v1/projects/${project.id}`, { token });
    expect((await again.json<{ project: ProjectJson }>()).project.productionBranch).toBe("release");
    await expectProblem(
      await api(`/api/v1/projects/${project.id}`, { method: "PATCH", token, json: { name: "x" } }),
      400,
      "bad_request",
    );
    await expectProblem(
      await api(`/api/v1/projects/${project.id}`, {
        method: "PATCH",
        token,
        json: { productionBranch: "b".repeat(256) },
      }),
      422,
      "invalid_input",
    );
  });

  it("deletes a project with its deployments, routes, blob rows and every stored object", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const files = [await file("index.html", "<h1>hi</h1>"), await file("_redirects", "/a /b 301")];
    await deploy(token, project.id, files);
    await deploy(token, project.id, [await file("index.html", "<h1>v2</h1>")], { branch: "feature" });
    const prefix = `projects/${project.id}/`;
    expect((await env.STORAGE.list({ prefix })).objects.length).toBeGreaterThan(4);
    expect(Object.keys(await routesOf(project.id)).length).toBe(5);

    const res = await api(`/api/v1/projects/${project.name}`, { method: "DELETE", token });
    expect(res.status).toBe(204);
    expect((await env.STORAGE.list({ prefix })).objects).toEqual([]);
    expect(await routesOf(project.id)).toEqual({});
    for (const table of ["deployments", "blobs", "projects"]) {
      const column = table === "projects" ? "id" : "project_id";
      const row = await env.DB.prepare(`select count(*) as n from ${table} where ${column} = ?`)
        .bind(project.id)
        .first<{ n: number }>();
      expect(row?.n, table).toBe(0);
    }
    await expectProblem(await api(`/api/v1/projects/${project.id}`, { token }), 404, "not_found");
  });

  it("deletes more stored objects than one listing page holds", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const prefix = `projects/${project.id}/`;
    await Promise.all(Array.from({ length: 1205 }, (_, i) => env.STORAGE.put(`${prefix}blobs/${i}`, "x")));
    expect((await api(`/api/v1/projects/${project.id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await env.STORAGE.list({ prefix })).objects).toEqual([]);
  });
});
