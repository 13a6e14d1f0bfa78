// Builds from git end to end: a real `git daemon`, the real builder process, the API and router in workerd,
// and the real CLI. A trigger builds the commit, the log streams live, and the site goes out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitServer } from "../../containers/builder/test/harness.ts";
import {
  expectSiteBody,
  getSite,
  loginAdmin,
  runCli,
  savedToken,
  startTestPlatform,
  type TestPlatform,
} from "../support/platform.ts";

let t: TestPlatform;
const git = new GitServer();

/** A site whose build writes the commit's message into dist/index.html, with no dependencies to install. */
function siteFiles(text: string, build = "node build.js"): Record<string, string> {
  return {
    "package.json": JSON.stringify({ name: "site", private: true, scripts: { build } }, null, 2),
    "build.js": [
      "const fs = require('node:fs');",
      "fs.mkdirSync('dist/assets', { recursive: true });",
      `fs.writeFileSync('dist/index.html', '<h1>${text}</h1>');`,
      "fs.writeFileSync('dist/assets/app.js', 'console.log(' + JSON.stringify('x'.repeat(2000)) + ')');",
      "console.log('built ' + process.env.MIAOBU_BRANCH);",
    ].join("\n"),
  };
}

beforeAll(async () => {
  await git.start();
  await git.commit("site", siteFiles("first build"), "first");
  t = await startTestPlatform();
  await loginAdmin(t);
}, 120_000);

afterAll(async () => {
  await t?.stop();
  git.stop();
});

describe("builds from git", () => {
  const project = "built-site";

  it("analyzes a repository before a project exists", async () => {
    const token = await savedToken(t);
    const res = await fetch(`${t.platform.apiUrl}/api/v1/analyze`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ gitUrl: git.url("site") }),
    });
    expect(res.status).toBe(200);
    const analysis = (await res.json()) as { buildCommand: string | null; reasons: string[] };
    expect(analysis.buildCommand).toMatch(/build/);
    expect(analysis.reasons.length).toBeGreaterThan(0);
  });

  it("explains a repository that cannot be cloned", async () => {
    const token = await savedToken(t);
    const res = await fetch(`${t.platform.apiUrl}/api/v1/analyze`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ gitUrl: git.url("no-such-repo") }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toMatch(/problem\+json/);
  });

  it("builds a git project on trigger and streams its log to the CLI", async () => {
    const created = await runCli(t, ["projects", "create", project, "--git", git.url("site"), "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const res = await runCli(t, ["trigger", project, "--follow"]);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout + res.stderr).toMatch(/built main/);
    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>first build</h1>");
    const js = await getSite(t, `${project}.localhost`, "/assets/app.js", { "accept-encoding": "br, gzip" });
    expect(js.status).toBe(200);
    expect(js.headers["content-encoding"]).toBe("br");
  }, 120_000);

  it("builds a new commit from the deploy hook", async () => {
    await git.commit("site", siteFiles("second build"), "second");
    const hook = await runCli(t, ["deploy-hook", project, "--json"]);
    expect(hook.code, hook.stderr).toBe(0);
    const { url } = (JSON.parse(hook.stdout) as { hook: { url: string } }).hook;
    const res = await fetch(`${url}?branch=main`, { method: "POST" });
    expect(res.status).toBe(202);
    const { deployment } = (await res.json()) as { deployment: { id: string } };
    const logs = await runCli(t, ["logs", deployment.id, "--follow"]);
    expect(logs.code, `${logs.stdout}\n${logs.stderr}`).toBe(0);
    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>second build</h1>");
  }, 120_000);

  it("fails a broken build with the reason and leaves production alone", async () => {
    await git.commit("site", siteFiles("broken", 'node -e "process.exit(3)"'), "broken");
    const res = await runCli(t, ["trigger", project, "--follow"]);
    expect(res.code).toBe(1);
    const list = await runCli(t, ["deployments", project, "--json"]);
    const [latest] = (JSON.parse(list.stdout) as { deployments: { status: string; errorMessage: string }[] })
      .deployments;
    expect(latest?.status).toBe("failed");
    expect(latest?.errorMessage).toMatch(/exit|code 3/);
    expect((await getSite(t, `${project}.localhost`, "/")).body).toBe("<h1>second build</h1>");
  }, 120_000);
});
