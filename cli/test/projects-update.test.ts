import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeApi } from "./fake-api";
import { runCli } from "./run-cli";

let api: FakeApi;
let home: string;

beforeEach(async () => {
  api = new FakeApi();
  await api.start();
  home = await mkdtemp(path.join(tmpdir(), "miaobu-cli-"));
});

afterEach(async () => {
  await api.close();
  await rm(home, { recursive: true, force: true });
});

function authed(): Record<string, string> {
  return {
    HOME: home,
    MIAOBU_CONFIG_DIR: path.join(home, "config"),
    MIAOBU_API: api.url,
    MIAOBU_TOKEN: api.issueToken(),
  };
}

describe("projects update", () => {
  it("sends the serving settings and prints them", async () => {
    api.addProject("site");
    const result = await runCli(
      [
        "projects",
        "update",
        "site",
        "--html-handling",
        "drop-trailing-slash",
        "--not-found-handling",
        "404-page",
        "--skew-days",
        "14",
      ],
      { env: authed() },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(api.patches).toEqual([
      { htmlHandling: "drop-trailing-slash", notFoundHandling: "404-page", skewProtectionDays: 14 },
    ]);
    expect(result.stdout).toContain("Updated project site");
    expect(result.stdout).toContain("HTML handling:   drop-trailing-slash");
    expect(result.stdout).toContain("Not found:       404-page");
    expect(result.stdout).toContain("Skew protection: 14 days");
  });

  it("still takes the old flags and values for one release, with a note", async () => {
    api.addProject("site");
    const result = await runCli(
      ["projects", "update", "site", "--trailing-slash", "auto", "--not-found", "spa"],
      {
        env: authed(),
      },
    );
    expect(result.code).toBe(0);
    expect(api.patches).toEqual([
      { htmlHandling: "auto-trailing-slash", notFoundHandling: "single-page-application" },
    ]);
    expect(result.stderr).toContain("--trailing-slash is now --html-handling auto-trailing-slash");
    expect(result.stderr).toContain("--not-found is now --not-found-handling single-page-application");
  });

  it("reads a preview password from stdin, and removes it with --no-preview-password", async () => {
    api.addProject("site");
    const set = await runCli(["projects", "update", "site", "--preview-password-stdin", "--json"], {
      env: authed(),
      input: "hunter2hunter2\n",
    });
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).project.previewProtected).toBe(true);
    const removed = await runCli(["projects", "update", "site", "--no-preview-password"], { env: authed() });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("Preview password: none");
    expect(api.patches).toEqual([{ previewPassword: "hunter2hunter2" }, { previewPassword: null }]);
  });

  it.each([
    [["--html-handling", "auto"], /--html-handling must be one of auto-trailing-slash, force-trailing-slash/],
    [["--not-found-handling", "spa"], /--not-found-handling must be one of auto, single-page-application/],
    [["--trailing-slash", "sometimes"], /--html-handling must be one of/],
    [["--trailing-slash", "auto", "--html-handling", "none"], /give --html-handling only/],
    [["--skew-days", "91"], /--skew-days must be a whole number from 0 to 90/],
    [["--skew-days", "-1"], /--skew-days/],
    [["--preview-password-stdin", "--no-preview-password"], /either/],
    [[], /nothing to change/],
  ])("refuses %j before calling the API", async (args, message) => {
    api.addProject("site");
    const result = await runCli(["projects", "update", "site", ...args], { env: authed() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(api.patches).toEqual([]);
  });

  it("refuses a preview password that is too short", async () => {
    api.addProject("site");
    const result = await runCli(["projects", "update", "site", "--preview-password-stdin"], {
      env: authed(),
      input: "short\n",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/8-200 characters/);
  });

  it("names an unknown project", async () => {
    const result = await runCli(["projects", "update", "nope", "--not-found", "spa"], { env: authed() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('project "nope"');
  });
});

describe("deploy: rules report", () => {
  it("prints each invalid _redirects or _headers line as a warning and includes them in --json", async () => {
    api.addProject("site");
    const dir = path.join(home, "dist");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "index.html"), "hi");
    await writeFile(path.join(dir, "_redirects"), "/a /b 299\n");
    const report = [{ file: "_redirects", line: 1, message: "Unknown status 299" }];
    api.nextRulesReport = report;
    const human = await runCli(["deploy", dir, "--project", "site"], { env: authed() });
    expect(human.code).toBe(0);
    expect(human.stderr).toContain("warning: _redirects:1: Unknown status 299\n");

    api.nextRulesReport = report;
    const json = await runCli(["deploy", dir, "--project", "site", "--json"], { env: authed() });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).rulesReport).toEqual(report);
    expect(json.stderr).not.toContain("warning");
  });
});
