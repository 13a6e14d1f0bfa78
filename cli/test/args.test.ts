import { describe, expect, it } from "vitest";
import { COMMANDS, main } from "../src/main";
import { VERSION } from "../src/version";
import { fakeIo } from "./fake-io";

async function run(args: string[]) {
  const io = fakeIo({ MIAOBU_CONFIG_DIR: "/nonexistent/miaobu-test", MIAOBU_API: "http://127.0.0.1:9" });
  const code = await main(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe("usage errors exit 2 with one line", () => {
  it.each([
    [["frobnicate"], 'error: unknown command "frobnicate" (see `miaobu --help`)\n'],
    [["projects", "rename"], 'error: unknown command "projects rename" (see `miaobu projects --help`)\n'],
    [["deploy", "./dist", "--bogus"], "error: unknown option --bogus (see `miaobu deploy --help`)\n"],
    [["deploy", "./dist", "--project"], "error: --project needs a value (see `miaobu deploy --help`)\n"],
    [
      ["projects", "delete", "x", "--yes=1"],
      "error: --yes does not take a value (see `miaobu projects delete --help`)\n",
    ],
    [["deploy"], "error: missing <dir>: usage: miaobu deploy <dir> --project <name> [options]\n"],
    [["deploy", "./dist"], "error: --project is required (see `miaobu deploy --help`)\n"],
    [["promote"], "error: missing <deploymentId>: usage: miaobu promote <deploymentId>\n"],
    [["whoami", "extra"], 'error: unexpected argument "extra" (see `miaobu whoami --help`)\n'],
    [["rollback", "a", "b", "c"], 'error: unexpected argument "c" (see `miaobu rollback --help`)\n'],
    [["--nope"], "error: unknown option --nope (see `miaobu --help`)\n"],
    [
      ["login", "--api", "not a url"],
      'error: "not a url" is not a URL: give the API\'s address, such as http://localhost:8787\n',
    ],
  ])("%j", async (args, line) => {
    const result = await run(args);
    expect(result.stderr).toBe(line);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });

  it("prints the group's help on stderr for a bare group", async () => {
    const result = await run(["projects"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("miaobu projects <command>");
  });

  it("prints a JSON error with --json", async () => {
    const result = await run(["deploy", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: "usage",
        message: "missing <dir>: usage: miaobu deploy <dir> --project <name> [options]",
        exitCode: 2,
      },
    });
  });
});

describe("help and version", () => {
  it("prints the version", async () => {
    expect(await run(["--version"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(JSON.parse((await run(["--json", "--version"])).stdout)).toEqual({ version: VERSION });
  });

  it("lists every command in the main help", async () => {
    for (const args of [[], ["--help"], ["help"]]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      for (const command of COMMANDS) expect(result.stdout).toContain(`  ${command.name} `);
    }
  });

  it.each(COMMANDS.map((command) => [command.name]))("has help for %s, with examples", async (name) => {
    const words = name.split(" ");
    for (const args of [
      [...words, "--help"],
      [...words, "-h"],
      ["help", ...words],
    ]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage:\n  miaobu ${name}`);
      expect(result.stdout).toContain("Examples:\n  miaobu ");
      expect(result.stdout).toContain("--json");
    }
  });

  it("shows group help", async () => {
    const result = await run(["projects", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("projects create");
  });
});

describe("option values", () => {
  it.each([
    [
      ["deploy", "./dist", "--project", "--json"],
      'error: --project needs a value (to pass one starting with "-", write --project=value) (see `miaobu deploy --help`)\n',
    ],
    [["deploy", "./dist", "-x"], "error: unknown option -x (see `miaobu deploy --help`)\n"],
  ])("%j", async (args, line) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(line);
  });
});
