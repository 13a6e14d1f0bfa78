// The platform's promise end to end: a folder goes in through the CLI, comes out of the router at its own
// URL and at the project's production URL, and a rollback switches production back at once.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  expectSiteBody,
  getSite,
  runCli,
  startTestPlatform,
  type TestPlatform,
  writeSite,
} from "../support/platform.ts";

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

interface DeployJson {
  id: string;
  url: string;
  project: string;
  branch: string;
  environment: string;
  files: number;
  uploadedFiles: number;
  uploadedBytes: number;
}

function hostOf(url: string): string {
  return new URL(url).hostname;
}

describe("deploy, redeploy, roll back", () => {
  const project = "e2e-site";
  let siteDir: string;
  let first: DeployJson;
  let second: DeployJson;

  it("logs in with the administrator's password from stdin", async () => {
    const res = await runCli(t, ["login", "--email", "admin@localhost", "--password-stdin"], {
      input: `${ADMIN_PASSWORD}\n`,
    });
    expect(res.stderr).not.toMatch(/at .+\(.+:\d+:\d+\)/);
    expect(res.code).toBe(0);
    const who = await runCli(t, ["whoami", "--json"]);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).user.email).toBe("admin@localhost");
  });

  it("refuses a wrong password with a readable line", async () => {
    const res = await runCli(t, ["login", "--email", "admin@localhost", "--password-stdin"], {
      input: "wrong\n",
      env: { MIAOBU_CONFIG_DIR: path.join(t.dataDir, "other-config") },
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/password/i);
  });

  it("creates a project", async () => {
    const res = await runCli(t, ["projects", "create", project, "--json"]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).project.name).toBe(project);
  });

  it("deploys a folder and serves it at its own URL and the production URL", async () => {
    siteDir = await writeSite(path.join(t.dataDir, "site"), {
      "index.html": "<h1>version one</h1>",
      "about/index.html": "<p>about</p>",
      "assets/app.js": "console.log('one')",
      "assets/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
      "data.bin": Buffer.from([0, 1, 2, 3, 255]),
    });
    const res = await runCli(t, ["deploy", siteDir, "--project", project, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    first = JSON.parse(res.stdout) as DeployJson;
    expect(first).toMatchObject({
      project,
      branch: "main",
      environment: "production",
      files: 5,
      uploadedFiles: 5,
    });
    expect(first.uploadedBytes).toBeGreaterThan(0);

    const own = await getSite(t, hostOf(first.url), "/");
    expect(own.status).toBe(200);
    expect(own.body).toBe("<h1>version one</h1>");
    expect(own.headers["content-type"]).toMatch(/^text\/html/);

    const prod = await getSite(t, `${project}.localhost`, "/about/");
    expect(prod.status).toBe(200);
    expect(prod.body).toBe("<p>about</p>");

    const js = await getSite(t, `${project}.localhost`, "/assets/app.js");
    expect(js.headers["content-type"]).toMatch(/javascript/);
    const etag = js.headers.etag;
    expect(etag).toBeTruthy();
    const again = await getSite(t, `${project}.localhost`, "/assets/app.js", {
      "if-none-match": String(etag),
    });
    expect(again.status).toBe(304);
  });

  it("redeploys an unchanged folder without uploading anything", async () => {
    const res = await runCli(t, ["deploy", siteDir, "--project", project, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const json = JSON.parse(res.stdout) as DeployJson;
    expect(json.uploadedFiles).toBe(0);
    expect(json.uploadedBytes).toBe(0);
  });

  it("redeploys with one file changed and uploads exactly that file", async () => {
    await fs.writeFile(path.join(siteDir, "index.html"), "<h1>version two</h1>");
    const res = await runCli(t, ["deploy", siteDir, "--project", project, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    second = JSON.parse(res.stdout) as DeployJson;
    expect(second.files).toBe(5);
    expect(second.uploadedFiles).toBe(1);
    expect(second.uploadedBytes).toBe(Buffer.byteLength("<h1>version two</h1>"));
    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>version two</h1>");
  });

  it("rolls production back while each deployment keeps its own content", async () => {
    const res = await runCli(t, ["rollback", project, first.id, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>version one</h1>");
    expect((await getSite(t, hostOf(first.url), "/")).body).toBe("<h1>version one</h1>");
    expect((await getSite(t, hostOf(second.url), "/")).body).toBe("<h1>version two</h1>");
  });

  it("serves a preview branch at its alias without touching production", async () => {
    await fs.writeFile(path.join(siteDir, "index.html"), "<h1>preview</h1>");
    const res = await runCli(t, ["deploy", siteDir, "--project", project, "--branch", "feature/x", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const preview = JSON.parse(res.stdout) as DeployJson;
    expect(preview.environment).toBe("preview");
    await expectSiteBody(t, `feature-x--${project}.localhost`, "/", "<h1>preview</h1>");
    expect((await getSite(t, `${project}.localhost`, "/")).body).toBe("<h1>version one</h1>");
  });

  it("lists the deployments", async () => {
    const res = await runCli(t, ["deployments", project, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const ids = (JSON.parse(res.stdout).deployments as { id: string }[]).map((d) => d.id);
    expect(ids).toContain(first.id);
    expect(ids).toContain(second.id);
  });

  it("serves the console at the API's origin and the API beside it", async () => {
    const page = await fetch(`${t.platform.apiUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Miaobu</title>");
    const api = await fetch(`${t.platform.apiUrl}/api/v1/me`);
    expect(api.status).toBe(401);
    expect(api.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("answers an unknown host with the platform's 404 page", async () => {
    const res = await getSite(t, "nothing-here.localhost", "/");
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(project);
  });

  it("explains a deploy to a project that does not exist, in one line", async () => {
    const res = await runCli(t, ["deploy", siteDir, "--project", "no-such-project"]);
    expect(res.code).toBe(1);
    // The project is checked before any hashing, so the error is the only output.
    expect(res.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: .*no-such-project/)]);
    expect(res.stdout).toBe("");
  });

  it("keeps sites and sessions across a restart", async () => {
    await t.restart();
    expect((await getSite(t, `${project}.localhost`, "/")).body).toBe("<h1>version one</h1>");
    const who = await runCli(t, ["whoami", "--json"]);
    expect(who.code, who.stderr).toBe(0);
  }, 120_000);
});
