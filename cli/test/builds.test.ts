import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBuildsApi, TOKEN } from "./fake-builds-api";
import { runCli } from "./run-cli";

let api: FakeBuildsApi;
let home: string;

beforeEach(async () => {
  api = new FakeBuildsApi();
  await api.start();
  home = await mkdtemp(path.join(tmpdir(), "miaobu-cli-builds-"));
});

afterEach(async () => {
  await api.close();
  await rm(home, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: home,
    MIAOBU_CONFIG_DIR: path.join(home, "config"),
    MIAOBU_API: api.url,
    MIAOBU_TOKEN: TOKEN,
    ...extra,
  };
}

describe("projects create --git", () => {
  it("sends the git URL, branch and root folder", async () => {
    const res = await runCli(
      [
        "projects",
        "create",
        "web",
        "--git",
        "https://example.com/r.git",
        "--branch",
        "trunk",
        "--root-dir",
        "apps/web",
      ],
      { env: env() },
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(api.requests[0]?.body).toEqual({
      name: "web",
      productionBranch: "trunk",
      gitUrl: "https://example.com/r.git",
      rootDir: "apps/web",
    });
    expect(res.stdout).toContain("miaobu trigger web --follow");
  });
});

describe("trigger", () => {
  it("queues a build of a branch and prints its id", async () => {
    const res = await runCli(["trigger", "site", "--branch", "feature/x", "--commit", "abc1234"], {
      env: env(),
    });
    expect(res.code).toBe(0);
    const sent = api.requests.find((r) => r.path === "/api/v1/projects/site/builds");
    expect(sent?.body).toEqual({ branch: "feature/x", commit: "abc1234" });
    expect(res.stdout.trim()).toMatch(/^dpl_fake\d+$/);
    expect(res.stderr).toContain("miaobu logs");
  });

  it("--no-cache asks for a build without cache; without it the body says nothing of the cache", async () => {
    const res = await runCli(["trigger", "site", "--no-cache"], { env: env() });
    expect(res.code, res.stderr).toBe(0);
    const sent = api.requests.filter((r) => r.path === "/api/v1/projects/site/builds");
    expect(sent[0]?.body).toEqual({ cache: false });
    await runCli(["trigger", "site"], { env: env() });
    expect(api.requests.filter((r) => r.path === "/api/v1/projects/site/builds")[1]?.body).toEqual({});
  });

  it("--follow streams the log and exits with the build's result", async () => {
    const res = await runCli(["trigger", "site", "--follow"], { env: env() });
    // The fake's triggered builds log nothing and end ready.
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/is ready: http:\/\/abcdefgh--site/);
  });
});

describe("logs", () => {
  it("prints the log so far", async () => {
    const build = api.addBuild([["one", "two"], ["three"]], "ready");
    build.revealed = 1;
    const res = await runCli(["logs", build.id], { env: env() });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe("one\ntwo\nthree\n");
  });

  it("--follow streams over the WebSocket with the token in a header and exits 0 when ready", async () => {
    const build = api.addBuild([["$ npm run build"], ["built in 1s"]], "ready");
    const res = await runCli(["logs", build.id, "--follow"], { env: env() });
    expect(res.stdout).toBe("$ npm run build\nbuilt in 1s\n");
    expect(res.code).toBe(0);
    expect(api.sockets).toEqual([{ after: 0, auth: `Bearer ${TOKEN}` }]);
  });

  it("--follow resumes after the last batch when the connection drops, and exits 1 on failure", async () => {
    const build = api.addBuild([["a"], ["b"], ["c"]], "failed");
    api.dropAfter = 1;
    const res = await runCli(["logs", build.id, "--follow"], { env: env() });
    expect(res.stdout).toBe("a\nb\nc\n");
    expect(api.sockets.map((s) => s.after)).toEqual([0, 1]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`Build ${build.id} failed: the build command exited with code 1`);
  });

  it("--follow polls the text endpoint where there is no WebSocket", async () => {
    const build = api.addBuild([["x"], ["y", "z"]], "canceled");
    const res = await runCli(["logs", build.id, "--follow"], { env: env({ MIAOBU_LOG_TRANSPORT: "poll" }) });
    expect(res.stdout).toBe("x\ny\nz\n");
    expect(res.code).toBe(1);
    expect(api.sockets).toEqual([]);
  });

  it("--follow ends for every final status, `deleted` (retention) included", async () => {
    const build = api.addBuild([["x"]], "deleted");
    const res = await runCli(["logs", build.id, "--follow"], { env: env({ MIAOBU_LOG_TRANSPORT: "poll" }) });
    expect(res.stdout).toBe("x\n");
    expect(res.code).toBe(1);
  });

  it("prints the whole stored log of a finished build", async () => {
    const build = api.addBuild([["done"]], "ready", "ready");
    build.revealed = 1;
    const res = await runCli(["logs", build.id, "--follow", "--json"], { env: env() });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).deployment.status).toBe("ready");
  });

  it("says which deployment was not found", async () => {
    const res = await runCli(["logs", "dpl_nope"], { env: env() });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('deployment "dpl_nope" not found');
  });
});

describe("cancel and deploy-hook", () => {
  it("cancels a build", async () => {
    const build = api.addBuild([], "ready", "queued");
    const res = await runCli(["cancel", build.id], { env: env() });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Canceled ${build.id}`);
  });

  it("creates a hook once, rotates and removes it", async () => {
    const created = await runCli(["deploy-hook", "site"], { env: env() });
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/\/api\/v1\/hooks\/deploy\/mbh_\d+$/);
    const again = await runCli(["deploy-hook", "site"], { env: env() });
    expect(again.stderr).toContain("already has a deploy hook");
    expect(again.stdout).toBe("");
    const rotated = await runCli(["deploy-hook", "site", "--rotate", "--json"], { env: env() });
    expect(JSON.parse(rotated.stdout).hook.secret).toMatch(/^mbh_/);
    const removed = await runCli(["deploy-hook", "site", "--remove"], { env: env() });
    expect(removed.code).toBe(0);
    expect(api.requests.at(-1)?.method).toBe("DELETE");
    const both = await runCli(["deploy-hook", "site", "--rotate", "--remove"], { env: env() });
    expect(both.code).toBe(2);
  });
});
