import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { freeBuildSlots, startOf, stubRecords, trigger } from "./build-helpers.ts";
import { githubLinkedUser, githubRecords, registerRepo } from "./github-helpers.ts";
import { api, expectProblem, newUser, type TestUser, uniqueName } from "./helpers.ts";

afterEach(freeBuildSlots);

interface Imported {
  project: {
    id: string;
    name: string;
    gitUrl: string;
    rootDir: string | null;
    productionBranch: string;
    buildCommand: string | null;
  };
  webhook: { url: string; status: string; id: number | null; detail?: string };
}

let alice: TestUser & { githubId: number; login: string };
beforeAll(async () => {
  alice = await githubLinkedUser();
});

const importRepo = (token: string, body: Record<string, unknown>) =>
  api("/api/v1/github/import", { token, json: body });

describe("GET /api/v1/github/repos", () => {
  it("lists and searches the user's repositories", async () => {
    const repo = await registerRepo(`acme/listed-${uniqueName()}`);
    const res = await api("/api/v1/github/repos", { token: alice.token });
    expect(res.status).toBe(200);
    const body = await res.json<{
      repositories: { fullName: string; id: number; defaultBranch: string }[];
    }>();
    expect(body.repositories.find((r) => r.fullName === repo.fullName)).toMatchObject({
      id: repo.id,
      defaultBranch: "main",
    });
    const name = repo.fullName.split("/")[1] ?? "";
    const search = await api(`/api/v1/github/repos?q=${name}`, { token: alice.token });
    const found = await search.json<{ repositories: { fullName: string }[] }>();
    expect(found.repositories.map((r) => r.fullName)).toEqual([repo.fullName]);
    const query = (await githubRecords()).find((r) => r.path.startsWith("/search/repositories"));
    expect(decodeURIComponent(query?.path ?? "")).toContain(`user:${alice.login} org:acme`);
  });

  it("authorization: no token, GitHub not linked, wrong scope, bad query", async () => {
    await expectProblem(await api("/api/v1/github/repos"), 401, "unauthorized");
    const local = await newUser();
    await expectProblem(await api("/api/v1/github/repos", { token: local.token }), 409, "conflict");
    const read = await api("/api/v1/tokens", { token: alice.token, json: { name: "r", scopes: ["deploy"] } });
    const { token } = await read.json<{ token: string }>();
    await expectProblem(await api("/api/v1/github/repos", { token }), 403, "insufficient_scope");
    await expectProblem(
      await api("/api/v1/github/repos?perPage=1000", { token: alice.token }),
      422,
      "invalid_input",
    );
  });
});

describe("POST /api/v1/github/import", () => {
  it("imports with overrides and env vars, creates the webhook, builds with clone credentials", async () => {
    const repo = await registerRepo(`acme/site-${uniqueName()}`);
    const res = await importRepo(alice.token, {
      repository: repo.fullName,
      name: uniqueName("web"),
      rootDir: "apps/web",
      buildCommand: "npm run build:web",
      env: [
        { key: "PUBLIC_API", value: "https://api", environment: "all" },
        { key: "SECRET", value: "s", environment: "production", secret: true },
      ],
    });
    expect(res.status).toBe(201);
    const body = await res.json<Imported>();
    expect(body.project).toMatchObject({
      gitUrl: `https://github.com/${repo.fullName}.git`,
      rootDir: "apps/web",
      productionBranch: "main",
      buildCommand: "npm run build:web",
    });
    expect(body.webhook).toMatchObject({ url: "http://localhost/api/v1/hooks/github", status: "created" });
    const created = (await githubRecords()).find(
      (r) => r.method === "POST" && r.path === `/repos/${repo.fullName}/hooks`,
    );
    expect(created?.body).toEqual({
      name: "web",
      active: true,
      events: ["push", "pull_request"],
      config: {
        url: "http://localhost/api/v1/hooks/github",
        content_type: "json",
        secret: "test-webhook-secret",
        insecure_ssl: "0",
      },
    });
    expect(created?.authorization).toBe(`Bearer gho_${alice.githubId}_${alice.login}`);

    const vars = await (await api(`/api/v1/projects/${body.project.id}/env`, { token: alice.token })).json<{
      variables: { key: string; environment: string }[];
    }>();
    expect(vars.variables.map((v) => `${v.environment}/${v.key}`)).toEqual([
      "preview/PUBLIC_API",
      "production/PUBLIC_API",
      "production/SECRET",
    ]);

    const d = await trigger(alice.token, body.project.id);
    const request = await startOf(d.id);
    expect(request.source.url).toBe(
      `https://x-access-token:gho_${alice.githubId}_${alice.login}@github.com/${repo.fullName}.git`,
    );
    expect(request.env).toEqual({ PUBLIC_API: "https://api", SECRET: "s" });
    // The project as the API shows it never carries the credential.
    const shown = await (await api(`/api/v1/projects/${body.project.id}`, { token: alice.token })).text();
    expect(shown).not.toContain("gho_");

    // A second project from the same repository (another root folder) reuses the webhook.
    const second = await importRepo(alice.token, {
      repository: repo.fullName,
      rootDir: "apps/docs",
      name: uniqueName("docs"),
    });
    expect(second.status).toBe(201);
    expect((await second.json<Imported>()).webhook).toMatchObject({ status: "exists", id: body.webhook.id });
  });

  it("names the project after the repository and keeps going when the webhook cannot be created", async () => {
    const name = uniqueName("plain");
    const repo = await registerRepo(`acme/${name}`, { default_branch: "trunk", hooksForbidden: true });
    const res = await importRepo(alice.token, { repository: repo.fullName });
    expect(res.status).toBe(201);
    const body = await res.json<Imported>();
    expect(body.project).toMatchObject({ name, productionBranch: "trunk" });
    expect(body.webhook.status).toBe("failed");
    expect(body.webhook.detail).toContain("http://localhost/api/v1/hooks/github");
    const row = await env.DB.prepare("select github_repo_id from projects where id = ?")
      .bind(body.project.id)
      .first<{ github_repo_id: number }>();
    expect(row?.github_repo_id).toBe(repo.id);
  });

  it("errors: unknown repository, bad names, bad env vars, not linked, no token, wrong scope", async () => {
    await expectProblem(
      await importRepo(alice.token, { repository: "acme/does-not-exist" }),
      404,
      "not_found",
    );
    await expectProblem(await importRepo(alice.token, { repository: "../../etc" }), 422, "invalid_input");
    const repo = await registerRepo(`acme/env-${uniqueName()}`);
    await expectProblem(
      await importRepo(alice.token, { repository: repo.fullName, env: [{ key: "MIAOBU_X", value: "1" }] }),
      422,
      "invalid_input",
    );
    const projects = await env.DB.prepare("select count(*) as n from projects where github_repo_id = ?")
      .bind(repo.id)
      .first<{ n: number }>();
    expect(projects?.n).toBe(0);
    const local = await newUser();
    await expectProblem(await importRepo(local.token, { repository: repo.fullName }), 409, "conflict");
    await expectProblem(
      await api("/api/v1/github/import", { json: { repository: repo.fullName } }),
      401,
      "unauthorized",
    );
    const dep = await api("/api/v1/tokens", { token: alice.token, json: { name: "d", scopes: ["deploy"] } });
    const { token } = await dep.json<{ token: string }>();
    await expectProblem(await importRepo(token, { repository: repo.fullName }), 403, "insufficient_scope");
  });
});

describe("POST /api/v1/github/analyze", () => {
  it("asks the builder to analyze the repository with clone credentials", async () => {
    const repo = await registerRepo(`acme/analyze-${uniqueName()}`);
    await api("/api/v1/github/analyze", {
      token: alice.token,
      json: { repository: repo.fullName, rootDir: "web" },
    });
    const sent = (await stubRecords()).filter((r) => r.path === "/analyze").at(-1);
    expect(sent?.body).toEqual({
      source: {
        url: `https://x-access-token:gho_${alice.githubId}_${alice.login}@github.com/${repo.fullName}.git`,
        branch: "main",
        rootDir: "web",
      },
    });
  });

  it("authorization: no token, not linked, unknown repository", async () => {
    await expectProblem(
      await api("/api/v1/github/analyze", { json: { repository: "a/b" } }),
      401,
      "unauthorized",
    );
    const local = await newUser();
    await expectProblem(
      await api("/api/v1/github/analyze", { token: local.token, json: { repository: "a/b" } }),
      409,
      "conflict",
    );
    await expectProblem(
      await api("/api/v1/github/analyze", { token: alice.token, json: { repository: "acme/nope" } }),
      404,
      "not_found",
    );
  });
});
