import { describe, expect, it } from "vitest";
import { installInputs } from "../src/install-inputs.ts";
import { memoryFiles } from "../src/memory.ts";

const project = (pkg: object, extra: Record<string, string> = {}) =>
  memoryFiles({
    "package.json": JSON.stringify(pkg),
    "package-lock.json": '{"lockfileVersion":3}',
    ...extra,
  });
const site = { dependencies: { vite: "7.0.0" }, scripts: { build: "vite build" } };

describe("installInputs", () => {
  it("hashes package.json, the lockfile and the install's settings files, and changes with each", async () => {
    const base = await installInputs(project(site), "npm");
    expect(base.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await installInputs(project(site), "npm")).hash).toBe(base.hash);
    const changed = [
      project({ ...site, dependencies: { vite: "7.0.1" } }),
      project(site, { "package-lock.json": '{"lockfileVersion":3,"x":1}' }),
      project(site, { ".npmrc": "legacy-peer-deps=true" }),
      project(site, { ".pnpmfile.cjs": "module.exports = {}" }),
    ];
    for (const files of changed) {
      const other = await installInputs(files, "npm");
      expect(other.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(other.hash).not.toBe(base.hash);
    }
    expect(
      (
        await installInputs(
          memoryFiles({ "package.json": JSON.stringify(site), "pnpm-lock.yaml": "" }),
          "pnpm",
        )
      ).hash,
    ).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives no hash, with the reason, when skipping an install could be wrong", async () => {
    const cases: [Parameters<typeof installInputs>[0], string, RegExp][] = [
      [memoryFiles({ "package.json": JSON.stringify(site) }), "npm", /no lockfile/],
      [project(site), "yarn", /yarn installs always run/],
      [project(site), "bun", /bun installs always run/],
      [project({ ...site, scripts: { postinstall: "node copy.js" } }), "npm", /postinstall script/],
      [project({ ...site, scripts: { prepare: "husky" } }), "npm", /prepare script/],
      [project({ ...site, workspaces: ["packages/*"] }), "npm", /workspaces/],
      [project(site, { "pnpm-workspace.yaml": "packages: []" }), "pnpm", /pnpm workspace/],
      [project({ dependencies: { lib: "file:./lib" } }), "npm", /from the repository/],
      [project({ devDependencies: { lib: "link:../lib" } }), "npm", /from the repository/],
      [memoryFiles({ "package.json": "{", "package-lock.json": "{}" }), "npm", /not JSON/],
    ];
    for (const [files, manager, reason] of cases) {
      const inputs = await installInputs(files, manager as "npm");
      expect(inputs.hash).toBeNull();
      expect(inputs.reason).toMatch(reason);
    }
  });
});
