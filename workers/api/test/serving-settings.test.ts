import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createProject, expectProblem, newUser, uniqueName } from "./helpers.ts";

interface Serving {
  htmlHandling: string;
  notFoundHandling: string;
}

async function patch(token: string, id: string, json: unknown) {
  return api(`/api/v1/projects/${id}`, { method: "PATCH", token, json });
}

async function storedColumns(id: string) {
  return env.DB.prepare(
    "select html_handling, not_found_handling, trailing_slash, not_found from projects where id = ?",
  )
    .bind(id)
    .first<Record<string, string>>();
}

describe("serving settings by Cloudflare Workers' names", () => {
  it("answers with the new names only, and writes the old columns too", async () => {
    const { token } = await newUser();
    const created = await createProject(token);
    const res = await patch(token, created.id, {
      htmlHandling: "auto-trailing-slash",
      notFoundHandling: "single-page-application",
    });
    const { project } = await res.json<{ project: Serving & Record<string, unknown> }>();
    expect(project).toMatchObject({
      htmlHandling: "auto-trailing-slash",
      notFoundHandling: "single-page-application",
    });
    expect(project).not.toHaveProperty("trailingSlash");
    expect(project).not.toHaveProperty("notFound");
    expect(await storedColumns(created.id)).toEqual({
      html_handling: "auto-trailing-slash",
      not_found_handling: "single-page-application",
      trailing_slash: "auto",
      not_found: "spa",
    });
  });

  it.each([
    [{ trailingSlash: "auto", notFound: "spa" }, "auto-trailing-slash", "single-page-application"],
    [{ trailingSlash: "force-trailing-slash", notFound: "404-page" }, "force-trailing-slash", "404-page"],
    [{ trailingSlash: "none", notFound: "none" }, "none", "none"],
    [{ trailingSlash: "auto", htmlHandling: "auto-trailing-slash" }, "auto-trailing-slash", "auto"],
  ])("still accepts the old names (one release): %j", async (json, htmlHandling, notFoundHandling) => {
    const { token } = await newUser();
    const created = await createProject(token);
    const res = await patch(token, created.id, json);
    expect(res.status).toBe(200);
    const { project } = await res.json<{ project: Serving }>();
    expect(project).toMatchObject({ htmlHandling, notFoundHandling });
  });

  it("accepts the old names when creating a project", async () => {
    const { token } = await newUser();
    const res = await api("/api/v1/projects", {
      token,
      json: { name: uniqueName(), trailingSlash: "drop-trailing-slash", notFound: "spa" },
    });
    expect(res.status).toBe(201);
    const { project } = await res.json<{ project: Serving }>();
    expect(project).toMatchObject({
      htmlHandling: "drop-trailing-slash",
      notFoundHandling: "single-page-application",
    });
  });

  it("refuses an old and a new name that disagree", async () => {
    const { token } = await newUser();
    const created = await createProject(token);
    const res = await patch(token, created.id, { notFound: "spa", notFoundHandling: "404-page" });
    const problem = await expectProblem(res, 422, "invalid_input");
    expect(problem.errors?.[0]?.field).toBe("notFound");
  });
});

describe("migration 0006", () => {
  it("converts the stored settings to the new names", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0006_"));
    const updates =
      migration?.queries.filter((q) => q.trim().toUpperCase().includes("UPDATE `PROJECTS`")) ?? [];
    expect(updates).toHaveLength(2);
    const { token } = await newUser();
    const cases = [
      ["auto", "auto", "auto-trailing-slash", "auto"],
      ["force-trailing-slash", "spa", "force-trailing-slash", "single-page-application"],
      ["drop-trailing-slash", "404-page", "drop-trailing-slash", "404-page"],
      ["none", "none", "none", "none"],
    ] as const;
    const ids: string[] = [];
    for (const [trailingSlash, notFound] of cases) {
      const { id } = await createProject(token);
      await env.DB.prepare(
        "update projects set trailing_slash = ?, not_found = ?, html_handling = 'none', not_found_handling = 'none' where id = ?",
      )
        .bind(trailingSlash, notFound, id)
        .run();
      ids.push(id);
    }
    // The statements run on every row, as they did once in production; the rows before are left as found.
    for (const query of updates) await env.DB.prepare(query).run();
    for (const [i, [, , html, notFound]] of cases.entries()) {
      expect(await storedColumns(ids[i] ?? "")).toMatchObject({
        html_handling: html,
        not_found_handling: notFound,
      });
    }
  });
});
