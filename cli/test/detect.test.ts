import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli";

let home: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), "miaobu-detect-"));
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function project(files: Record<string, string>): Promise<string> {
  const root = path.join(home, "app");
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  return root;
}

describe("miaobu detect", () => {
  it("prints what was detected and why", async () => {
    const dir = await project({
      "package.json": JSON.stringify({
        scripts: { build: "vite build" },
        devDependencies: { vite: "7.3.8" },
      }),
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      ".nvmrc": "22\n",
    });
    const result = await runCli(["detect", dir], { env: { HOME: home } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Framework:        Vite (vite)");
    expect(result.stdout).toContain("Build command:    pnpm run build");
    expect(result.stdout).toContain("Output folder:    dist");
    expect(result.stdout).toContain("Package manager:  pnpm 9");
    expect(result.stdout).toContain("- .nvmrc says 22");
  });

  it("prints one JSON object with --json", async () => {
    const dir = await project({
      "package.json": JSON.stringify({ dependencies: { "@docusaurus/core": "3.8.1" } }),
    });
    const result = await runCli(["detect", dir, "--json"], { env: { HOME: home } });
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      framework: { id: "docusaurus", name: "Docusaurus" },
      installCommand: "npm install",
      buildCommand: "npx --no-install docusaurus build",
      outputDir: "build",
      packageManager: "npm",
    });
    expect(output.reasons).toContain("package.json depends on @docusaurus/core → Docusaurus");
  });

  it("detects plain HTML in the current folder by default", async () => {
    await project({ "index.html": "<h1>hi</h1>" });
    const result = await runCli(["detect", path.join(home, "app"), "--json"], { env: { HOME: home } });
    expect(JSON.parse(result.stdout)).toMatchObject({ framework: null, buildCommand: null, outputDir: "." });
  });

  it("refuses a folder that does not exist", async () => {
    const result = await runCli(["detect", path.join(home, "nope")], { env: { HOME: home } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a folder");
  });
});
