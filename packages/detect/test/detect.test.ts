import { describe, expect, it } from "vitest";
import { detectProject, memoryFiles } from "../src/index.ts";

const pkg = (value: object) => JSON.stringify(value);
const deps = (dependencies: Record<string, string>, scripts: Record<string, string> = { build: "x" }) =>
  pkg({ dependencies, scripts });

interface Row {
  name: string;
  files: Record<string, string>;
  framework: string | null;
  buildCommand: string | null;
  outputDir: string;
}

const rows: Row[] = [
  {
    name: "plain HTML",
    files: { "index.html": "<h1>hi</h1>" },
    framework: null,
    buildCommand: null,
    outputDir: ".",
  },
  {
    name: "plain HTML in public/",
    files: { "public/index.html": "" },
    framework: null,
    buildCommand: null,
    outputDir: "public",
  },
  {
    name: "HTML with a build script",
    files: { "package.json": pkg({ scripts: { build: "node build.js" } }) },
    framework: null,
    buildCommand: "npm run build",
    outputDir: "dist",
  },
  {
    name: "Vite",
    files: { "package.json": deps({ vite: "7" }) },
    framework: "vite",
    buildCommand: "npm run build",
    outputDir: "dist",
  },
  {
    name: "Vite without a build script",
    files: { "package.json": deps({ vite: "7" }, {}) },
    framework: "vite",
    buildCommand: "npx --no-install vite build",
    outputDir: "dist",
  },
  {
    name: "Astro",
    files: { "package.json": deps({ astro: "5" }) },
    framework: "astro",
    buildCommand: "npm run build",
    outputDir: "dist",
  },
  {
    name: "Next",
    files: { "package.json": deps({ next: "15", react: "19" }) },
    framework: "nextjs",
    buildCommand: "npm run build",
    outputDir: "out",
  },
  {
    name: "Nuxt 3 generate",
    files: { "package.json": deps({ nuxt: "^3.10.0" }, { build: "nuxt build", generate: "nuxt generate" }) },
    framework: "nuxt",
    buildCommand: "npm run generate",
    outputDir: ".output/public",
  },
  {
    name: "Nuxt 2",
    files: { "package.json": deps({ nuxt: "^2.17.0" }, {}) },
    framework: "nuxt",
    buildCommand: "npx --no-install nuxi generate",
    outputDir: "dist",
  },
  {
    name: "SvelteKit beats Vite",
    files: { "package.json": deps({ "@sveltejs/kit": "2", vite: "6" }) },
    framework: "sveltekit",
    buildCommand: "npm run build",
    outputDir: "build",
  },
  {
    name: "Gatsby",
    files: { "package.json": deps({ gatsby: "5" }) },
    framework: "gatsby",
    buildCommand: "npm run build",
    outputDir: "public",
  },
  {
    name: "Docusaurus",
    files: { "package.json": deps({ "@docusaurus/core": "3" }) },
    framework: "docusaurus",
    buildCommand: "npm run build",
    outputDir: "build",
  },
  {
    name: "VitePress from the script's folder",
    files: { "package.json": deps({ vitepress: "1" }, { "docs:build": "vitepress build site" }) },
    framework: "vitepress",
    buildCommand: "npm run docs:build",
    outputDir: "site/.vitepress/dist",
  },
  {
    name: "VuePress",
    files: { "package.json": deps({ vuepress: "1" }, { build: "vuepress build docs" }) },
    framework: "vuepress",
    buildCommand: "npm run build",
    outputDir: "docs/.vuepress/dist",
  },
  {
    name: "Eleventy",
    files: { "package.json": deps({ "@11ty/eleventy": "3" }, {}) },
    framework: "eleventy",
    buildCommand: "npx --no-install eleventy",
    outputDir: "_site",
  },
  {
    name: "Angular 17+",
    files: {
      "package.json": deps({ "@angular/core": "^19.0.0", "@angular/cli": "^19.0.0" }),
      "angular.json": pkg({
        projects: {
          shop: {
            architect: {
              build: { builder: "@angular/build:application", options: { outputPath: "dist/shop" } },
            },
          },
        },
      }),
    },
    framework: "angular",
    buildCommand: "npm run build",
    outputDir: "dist/shop/browser",
  },
  {
    name: "CRA",
    files: { "package.json": deps({ "react-scripts": "5" }) },
    framework: "create-react-app",
    buildCommand: "npm run build",
    outputDir: "build",
  },
  {
    name: "Vue CLI",
    files: { "package.json": deps({ "@vue/cli-service": "5" }) },
    framework: "vue-cli",
    buildCommand: "npm run build",
    outputDir: "dist",
  },
  {
    name: "Remix SPA",
    files: { "package.json": deps({ "@remix-run/dev": "2", vite: "5" }) },
    framework: "remix",
    buildCommand: "npm run build",
    outputDir: "build/client",
  },
  {
    name: "Solid",
    files: { "package.json": deps({ "solid-js": "1", vite: "6" }) },
    framework: "solid",
    buildCommand: "npm run build",
    outputDir: "dist",
  },
  {
    name: "Qwik",
    files: { "package.json": deps({ "@builder.io/qwik": "1", vite: "5" }) },
    framework: "qwik",
    buildCommand: "npm run build",
    outputDir: "dist",
  },
  {
    name: "Slidev",
    files: { "package.json": deps({ "@slidev/cli": "51" }) },
    framework: "slidev",
    buildCommand: "npm run build",
    outputDir: "dist",
  },
  {
    name: "Hexo",
    files: { "package.json": deps({ hexo: "7" }, {}) },
    framework: "hexo",
    buildCommand: "npx --no-install hexo generate",
    outputDir: "public",
  },
  {
    name: "Gridsome",
    files: { "package.json": deps({ gridsome: "0.7" }) },
    framework: "gridsome",
    buildCommand: "npm run build",
    outputDir: "dist",
  },
];

describe("detectProject", () => {
  it.each(rows)("$name", async (row) => {
    const result = await detectProject(memoryFiles(row.files));
    expect(result.framework?.id ?? null).toBe(row.framework);
    expect(result.buildCommand).toBe(row.buildCommand);
    expect(result.outputDir).toBe(row.outputDir);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it("names the Vite template", async () => {
    const result = await detectProject(
      memoryFiles({ "package.json": deps({ vite: "7", "@vitejs/plugin-react": "5" }) }),
    );
    expect(result.reasons.join("\n")).toContain("React template");
  });

  it("advises Next apps without a static export", async () => {
    const plain = await detectProject(memoryFiles({ "package.json": deps({ next: "15" }) }));
    expect(plain.reasons.join("\n")).toContain("output: 'export'");
    const exported = await detectProject(
      memoryFiles({
        "package.json": deps({ next: "15" }),
        "next.config.mjs": "export default { output: 'export' }",
      }),
    );
    expect(exported.reasons).toContain("next.config.mjs sets output: 'export'");
  });

  it.each([
    [{ "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" }, "pnpm", "9", "pnpm install"],
    [{ "pnpm-lock.yaml": "lockfileVersion: '6.0'\n" }, "pnpm", "8", "pnpm install"],
    [{ "yarn.lock": "# yarn lockfile v1\n" }, "yarn", "1", "yarn install"],
    [{ "yarn.lock": "__metadata:\n  version: 8\n" }, "yarn", "4", "yarn install --immutable"],
    [{ "bun.lock": "{}" }, "bun", null, "bun install"],
    [{ "package-lock.json": "{}" }, "npm", null, "npm install"],
    [{}, "npm", null, "npm install"],
  ] as const)("package manager from %o", async (lockfiles, pm, version, install) => {
    const result = await detectProject(memoryFiles({ "package.json": deps({ vite: "7" }), ...lockfiles }));
    expect(result.packageManager).toBe(pm);
    expect(result.packageManagerVersion).toBe(version);
    expect(result.installCommand).toBe(install);
    if (pm !== "npm") expect(result.buildCommand).toBe(`${pm} run build`);
  });

  it("prefers the packageManager field over the lockfile", async () => {
    const files = {
      "package.json": pkg({ packageManager: "pnpm@9.12.0+sha512.abc" }),
      "package-lock.json": "{}",
    };
    const result = await detectProject(memoryFiles(files));
    expect(result).toMatchObject({ packageManager: "pnpm", packageManagerVersion: "9.12.0" });
  });

  it.each([
    [{ ".nvmrc": "v20.11.1\n" }, "20.11.1", ".nvmrc says 20.11.1"],
    [{ ".node-version": "18\n" }, "18", ".node-version says 18"],
    [{ ".tool-versions": "nodejs 22.1.0\n" }, "22.1.0", ".tool-versions says nodejs 22.1.0"],
    [{ "package.json": pkg({ engines: { node: ">=20" } }) }, ">=20", "package.json's engines.node is >=20"],
  ])("Node version from %o", async (files, version, reason) => {
    const result = await detectProject(memoryFiles(files));
    expect(result.nodeVersion).toBe(version);
    expect(result.reasons).toContain(reason);
  });

  it("finds lockfile and .nvmrc at the repository root for a folder inside it", async () => {
    const result = await detectProject(memoryFiles({ "package.json": deps({ vite: "7" }) }), {
      repoFiles: memoryFiles({ "pnpm-lock.yaml": "lockfileVersion: '9.0'", ".nvmrc": "22" }),
    });
    expect(result).toMatchObject({ packageManager: "pnpm", nodeVersion: "22" });
  });

  it("lets every setting override detection", async () => {
    const result = await detectProject(memoryFiles({ "package.json": deps({ vite: "7" }), ".nvmrc": "18" }), {
      overrides: {
        framework: "astro",
        installCommand: "npm ci",
        buildCommand: "make",
        outputDir: "site",
        nodeVersion: "20",
      },
    });
    expect(result).toMatchObject({
      framework: { id: "astro" },
      installCommand: "npm ci",
      buildCommand: "make",
      outputDir: "site",
      nodeVersion: "20",
    });
  });

  it("survives a broken package.json", async () => {
    const result = await detectProject(memoryFiles({ "package.json": "{nope", "index.html": "" }));
    expect(result).toMatchObject({ framework: null, installCommand: null, outputDir: "." });
    expect(result.reasons).toContain("package.json is not valid JSON: ignored");
  });
});
