// A promotion or rollback through the API is served by the router right after the API answers: the API tells
// the router which hosts to forget (docs/scale.md), so no request waits for the route cache's bound.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getSite,
  loginAdmin,
  runCli,
  savedToken,
  startTestPlatform,
  type TestPlatform,
  writeSite,
} from "../support/platform.ts";

let t: TestPlatform;
let token: string;
const project = "visible-at-once";
const host = `${project}.localhost`;
const ids: string[] = [];

beforeAll(async () => {
  t = await startTestPlatform();
  await loginAdmin(t);
  token = await savedToken(t);
  expect((await runCli(t, ["projects", "create", project])).code).toBe(0);
  for (const version of ["one", "two"]) {
    const dir = await writeSite(`${t.dataDir}/site-${version}`, { "index.html": `version ${version}` });
    const res = await runCli(t, ["deploy", dir, "--project", project, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    ids.push((JSON.parse(res.stdout) as { id: string }).id);
  }
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

function post(path: string, json?: unknown): Promise<Response> {
  return fetch(`${t.platform.apiUrl}/api/v1${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : null,
  });
}

describe("route changes are visible at the router as soon as the API answers", () => {
  it("the very next request after a rollback or a promotion sees the new deployment", async () => {
    // Warm every tier first: the isolate's memo and the colo entry both hold version two.
    expect((await getSite(t, host, "/")).body).toBe("version two");
    expect((await getSite(t, host, "/")).body).toBe("version two");
    for (let round = 0; round < 3; round++) {
      const rollback = await post(`/projects/${project}/rollback`, { deploymentId: ids[0] });
      expect(rollback.status).toBe(200);
      expect((await getSite(t, host, "/")).body).toBe("version one");
      const promote = await post(`/deployments/${ids[1]}/promote`);
      expect(promote.status).toBe(200);
      expect((await getSite(t, host, "/")).body).toBe("version two");
    }
  });

  it("a removed route stops answering at once", async () => {
    const branch = `gone--${host}`;
    const dir = await writeSite(`${t.dataDir}/site-branch`, { "index.html": "branch" });
    const res = await runCli(t, ["deploy", dir, "--project", project, "--branch", "gone", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    expect((await getSite(t, branch, "/")).body).toBe("branch");
    const deleted = await fetch(`${t.platform.apiUrl}/api/v1/projects/${project}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(deleted.status).toBeLessThan(300);
    expect((await getSite(t, branch, "/")).status).toBe(404);
    expect((await getSite(t, host, "/")).status).toBe(404);
  });
});
