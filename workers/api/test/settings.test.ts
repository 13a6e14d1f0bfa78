import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createProject, expectProblem, file, newUser, putBlob, sha256, uniqueName } from "./helpers.ts";

interface SettingsJson {
  name: string;
  gitUrl: string | null;
  rootDir: string | null;
  buildCommand: string | null;
  outputDir: string | null;
  nodeVersion: string | null;
  buildTimeoutSeconds: number;
  htmlHandling: string;
  notFoundHandling: string;
  skewProtectionDays: number;
  previewProtected: boolean;
  hasDeployHook: boolean;
}

describe("project settings", () => {
  it("creates a git project with build settings and reads them back", async () => {
    const { token } = await newUser();
    const res = await api("/api/v1/projects", {
      token,
      json: {
        name: uniqueName(),
        gitUrl: "git://127.0.0.1:9418/site.git",
        productionBranch: "trunk",
        rootDir: "./apps/web/",
        buildCommand: "npm run build",
        outputDir: "dist",
        nodeVersion: "20",
      },
    });
    expect(res.status).toBe(201);
    const { project } = await res.json<{ project: SettingsJson }>();
    expect(project).toMatchObject({
      gitUrl: "git://127.0.0.1:9418/site.git",
      rootDir: "apps/web",
      buildCommand: "npm run build",
      outputDir: "dist",
      nodeVersion: "20",
      buildTimeoutSeconds: 1200,
      htmlHandling: "auto-trailing-slash",
      notFoundHandling: "auto",
      skewProtectionDays: 7,
      previewProtected: false,
      hasDeployHook: false,
    });
  });

  it("updates serving settings and clears build settings with null", async () => {
    const { token } = await newUser();
    const created = await createProject(token);
    await api(`/api/v1/projects/${created.id}`, { method: "PATCH", token, json: { buildCommand: "make" } });
    const res = await api(`/api/v1/projects/${created.id}`, {
      method: "PATCH",
      token,
      json: {
        htmlHandling: "drop-trailing-slash",
        notFoundHandling: "single-page-application",
        buildCommand: null,
        buildTimeoutSeconds: 600,
      },
    });
    expect(res.status).toBe(200);
    const { project } = await res.json<{ project: SettingsJson }>();
    expect(project).toMatchObject({
      htmlHandling: "drop-trailing-slash",
      notFoundHandling: "single-page-application",
      buildCommand: null,
      buildTimeoutSeconds: 600,
    });
  });

  it("keeps the preview password write-only and stores only its hash", async () => {
    const { token } = await newUser();
    const created = await createProject(token);
    const res = await api(`/api/v1/projects/${created.id}`, {
      method: "PATCH",
      token,
      json: { previewPassword: "open sesame" },
    });
    const text = await res.text();
    expect(text).not.toContain("open sesame");
    expect(JSON.parse(text).project.previewProtected).toBe(true);
    const row = await env.DB.prepare("select preview_password_hash as h from projects where id = ?")
      .bind(created.id)
      .first<{ h: string }>();
    expect(row?.h).toMatch(/^pbkdf2-sha256\$/);
  });

  it.each([
    [{ gitUrl: "file:///etc" }, "gitUrl", /file: URLs are not supported/],
    [{ gitUrl: "/srv/repo.git" }, "gitUrl", /not a URL/],
    [{ gitUrl: "git@github.com:o/r.git" }, "gitUrl", /ssh URLs are not supported yet/],
    [{ gitUrl: "https://me:secret@example.com/r.git" }, "gitUrl", /credentials/],
    [{ rootDir: "../outside" }, "rootDir", /'\.\.'/],
    [{ outputDir: "/abs" }, "outputDir", /relative/],
    [{ nodeVersion: "latest; rm -rf /" }, "nodeVersion", /Node\.js version/],
    [{ trailingSlash: "sometimes" }, "trailingSlash", /./],
    [{ htmlHandling: "auto" }, "htmlHandling", /./],
    [{ notFoundHandling: "spa" }, "notFoundHandling", /./],
    [{ buildTimeoutSeconds: 5 }, "buildTimeoutSeconds", /./],
    [{ previewPassword: "short" }, "previewPassword", /./],
  ])("refuses %j naming the field", async (settings, field, message) => {
    const { token } = await newUser();
    const created = await createProject(token);
    const res = await api(`/api/v1/projects/${created.id}`, { method: "PATCH", token, json: settings });
    const problem = await expectProblem(res, 422, "invalid_input");
    const entry = problem.errors?.find((e) => e.field === field);
    expect(entry?.message).toMatch(message);
  });
});

describe("pre-compressed variants", () => {
  it("asks for each variant as a blob and refuses to finalize without it", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const page = await file("index.html", "<h1>hello hello hello</h1>");
    const gz = new Uint8Array([31, 139, 8, 0, 1, 2, 3]);
    const gzHash = await sha256(gz);
    const res = await api(`/api/v1/projects/${project.id}/deployments`, {
      token,
      json: {
        files: [
          {
            path: page.path,
            hash: page.hash,
            size: page.size,
            variants: { gzip: { hash: gzHash, size: gz.byteLength } },
          },
        ],
      },
    });
    expect(res.status).toBe(201);
    const created = await res.json<{ deployment: { id: string }; missing: string[] }>();
    expect(created.missing.sort()).toEqual([page.hash, gzHash].sort());

    expect((await putBlob(token, created.deployment.id, page.hash, page.bytes)).status).toBe(201);
    const early = await api(`/api/v1/deployments/${created.deployment.id}/finalize`, {
      method: "POST",
      token,
    });
    const problem = await expectProblem(early, 422, "missing_blobs");
    expect(problem.missing).toEqual([{ hash: gzHash, paths: ["/index.html (gzip)"] }]);

    expect((await putBlob(token, created.deployment.id, gzHash, gz)).status).toBe(201);
    const done = await api(`/api/v1/deployments/${created.deployment.id}/finalize`, {
      method: "POST",
      token,
    });
    expect(done.status).toBe(200);
    const manifest = await env.STORAGE.get(
      `projects/${project.id}/deployments/${created.deployment.id}/manifest.json`,
    );
    const json = await manifest?.json<{ files: Record<string, { variants?: unknown }> }>();
    expect(json?.files["/index.html"]?.variants).toEqual({ gzip: { hash: gzHash, size: gz.byteLength } });
  });
});
