import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GIT_URL, gitProject } from "./build-helpers.ts";
import { api, createProject, expectProblem, newUser, uniqueName } from "./helpers.ts";

// vitest.config.ts allows 127.0.0.1:9418 (the builds' git daemon stand-in), and nothing else: git:// URLs
// below name another port, since every spelling of 127.0.0.1 on 9418 is that allowed host.
const PRIVATE = /may not point at private or loopback addresses .*MIAOBU_GIT_ALLOWED_HOSTS/;

const REFUSED: [string, RegExp][] = [
  ["http://127.0.0.1/r.git", /127\.0\.0\.1 is a loopback address/],
  ["git://127.0.0.1:9419/r.git", /loopback/],
  ["http://0x7f000001/r.git", /loopback/],
  ["git://0x7f000001:9000/r.git", /0x7f000001 is 127\.0\.0\.1/],
  ["git://2130706433:9000/r.git", /loopback/],
  ["git://0177.0.0.1:9000/r.git", /loopback/],
  ["git://127.1:9000/r.git", /loopback/],
  ["http://[::1]/r.git", /loopback/],
  ["git://[::ffff:127.0.0.1]:9000/r.git", /loopback/],
  ["http://[::ffff:7f00:1]/r.git", /loopback/],
  ["http://[fe80::1]/r.git", /link-local/],
  ["http://[fd00::1]/r.git", /private/],
  ["http://169.254.169.254/latest/meta-data/", /cloud metadata/],
  ["http://10.1.2.3/r.git", /private/],
  ["http://192.168.0.10/r.git", /private/],
  ["http://172.20.0.1/r.git", /private/],
  ["http://100.64.0.1/r.git", /carrier-grade NAT/],
  ["http://0.0.0.0/r.git", /unspecified/],
  ["https://localhost/r.git", /loopback name/],
  ["https://git.localhost/r.git", /loopback name/],
  ["http://metadata.google.internal/computeMetadata/v1/", /not a public host name/],
];

const CREDENTIALS: string[] = [
  "http://ghp_xxx@github.com/o/r.git",
  "https://user:secret@example.com/r.git",
  "git://me@example.com/r.git",
];

function expectGitUrlProblem(problem: { errors?: { field: string; message: string }[] }, message: RegExp) {
  const entry = problem.errors?.find((e) => e.field === "gitUrl");
  expect(entry?.message).toMatch(message);
}

describe("git URL policy", () => {
  it.each(REFUSED)("refuses %j on create, update and analyze", async (gitUrl, detail) => {
    const { token } = await newUser();
    for (const res of [
      await api("/api/v1/projects", { token, json: { name: uniqueName(), gitUrl } }),
      await api(`/api/v1/projects/${(await createProject(token)).id}`, {
        method: "PATCH",
        token,
        json: { gitUrl },
      }),
      await api("/api/v1/analyze", { token, json: { gitUrl } }),
    ]) {
      const problem = await expectProblem(res, 422, "invalid_input");
      expectGitUrlProblem(problem, PRIVATE);
      expectGitUrlProblem(problem, detail);
    }
  });

  it.each(CREDENTIALS)("refuses the credentials in %j, saying where they go", async (gitUrl) => {
    const { token } = await newUser();
    for (const res of [
      await api("/api/v1/projects", { token, json: { name: uniqueName(), gitUrl } }),
      await api("/api/v1/analyze", { token, json: { gitUrl } }),
    ]) {
      const problem = await expectProblem(res, 422, "invalid_input");
      expectGitUrlProblem(problem, /credentials.*GitHub integration.*secret/);
      expect(JSON.stringify(problem)).not.toContain("secret@");
    }
  });

  it("accepts public hosts, the documentation ranges and hosts the operator allows", async () => {
    const { token } = await newUser();
    for (const gitUrl of [
      "https://github.com/o/r.git",
      "http://192.0.2.10/r.git",
      "git://203.0.113.80/r.git",
      "https://[2606:4700::1111]/r.git",
      GIT_URL,
      "git://0x7f000001:9418/site.git",
    ]) {
      const res = await api("/api/v1/projects", { token, json: { name: uniqueName(), gitUrl } });
      expect(res.status).toBe(201);
    }
  });
});

describe("git URLs stored before the policy", () => {
  async function storedProject(gitUrl: string) {
    const { token } = await newUser();
    const project = await gitProject(token);
    await env.DB.prepare("update projects set git_url = ? where id = ?").bind(gitUrl, project.id).run();
    return { token, project };
  }

  it("never shows their credentials", async () => {
    const { token, project } = await storedProject("http://ghp_topsecret@example.com/o/r.git");
    const one = await api(`/api/v1/projects/${project.id}`, { token });
    const text = await one.text();
    expect(text).not.toContain("ghp_topsecret");
    expect(JSON.parse(text).project.gitUrl).toBe("http://***@example.com/o/r.git");
    const list = await (await api("/api/v1/projects", { token })).text();
    expect(list).not.toContain("ghp_topsecret");
    expect(list).toContain("http://***@example.com/o/r.git");
  });

  it.each([
    ["http://user:pw@example.com/o/r.git", /credentials/],
    ["http://169.254.169.254/r.git", /cloud metadata/],
  ])("refuses to build or analyze %j until it is set again", async (gitUrl, reason) => {
    const { token, project } = await storedProject(gitUrl);
    for (const res of [
      await api(`/api/v1/projects/${project.id}/builds`, { token, json: {} }),
      await api(`/api/v1/projects/${project.id}/analyze`, { token }),
    ]) {
      const problem = await expectProblem(res, 409, "conflict");
      expect(problem.detail).toMatch(reason);
      expect(problem.detail).toMatch(/PATCH \/api\/v1\/projects/);
      expect(problem.detail).not.toContain("pw@");
    }
  });
});
