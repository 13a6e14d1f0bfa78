import type { DetectContext } from "./types.ts";

/** Where a framework writes its static output, and why when it was read from the project. */
export interface OutputGuess {
  dir: string;
  reason?: string;
}

/**
 * A static-output framework: how to recognize it, how to build it, where its output lands.
 * Outputs are the static ones (Next `output: 'export'` → `out`, Nuxt generate → `.output/public`,
 * SvelteKit adapter-static → `build`), as Cloudflare Pages' presets use, not a server runtime's.
 */
export interface Framework {
  id: string;
  name: string;
  /** Recognized when package.json depends on one of these… */
  anyOf: string[];
  /** …and on all of these. */
  allOf?: string[];
  /** Files that recognize it as well (relative to the project folder). */
  files?: string[];
  /** package.json scripts to run instead of `build`, when they exist (Nuxt's `generate`). */
  scripts?: string[];
  /** The framework's own build command, used when package.json has no build script. */
  command: string;
  outputDir: string | ((context: DetectContext) => Promise<OutputGuess>);
  /** Extra advice for the log (a Next app without `output: 'export'`). */
  advise?: (context: DetectContext) => Promise<string | null>;
  /**
   * Folders the framework fills on a build and reuses on the next one (relative to the project; what is
   * inside node_modules, such as `node_modules/.cache`, is kept with node_modules anyway).
   */
  cacheDirs?: string[];
}

const major = (range: string | undefined): number | null => {
  const match = /(\d+)/.exec(range ?? "");
  return match ? Number(match[1]) : null;
};

/** `vitepress build docs` → `docs`: the source folder a docs tool was given in the build script. */
async function docsFolder(context: DetectContext, tool: string, marker: string): Promise<OutputGuess> {
  const script = Object.values(context.pkg?.scripts ?? {}).find((s) => s.includes(`${tool} build`));
  const fromScript = script ? new RegExp(`${tool} build\\s+([^\\s&|;-][^\\s&|;]*)`).exec(script)?.[1] : null;
  if (fromScript) {
    return {
      dir: `${fromScript.replace(/\/$/, "")}/${marker}/dist`,
      reason: `the build script builds ${fromScript}`,
    };
  }
  if (await context.files.exists(`docs/${marker}`)) return { dir: `docs/${marker}/dist` };
  if (await context.files.exists(marker)) return { dir: `${marker}/dist` };
  return { dir: `docs/${marker}/dist` };
}

/** Angular writes to angular.json's outputPath (default `dist/<project>`), in `browser/` since v17. */
async function angularOutput(context: DetectContext): Promise<OutputGuess> {
  const text = await context.files.read("angular.json");
  let base: string | null = null;
  let applicationBuilder = (major(context.deps["@angular/core"]) ?? 17) >= 17;
  try {
    const config = text ? (JSON.parse(text) as AngularJson) : null;
    const names = Object.keys(config?.projects ?? {});
    const name = config?.defaultProject ?? names[0];
    const build = name ? config?.projects?.[name]?.architect?.build : undefined;
    if (build?.builder) applicationBuilder = build.builder.endsWith(":application");
    const outputPath = build?.options?.outputPath;
    base = typeof outputPath === "string" ? outputPath : (outputPath?.base ?? (name ? `dist/${name}` : null));
  } catch {
    base = null;
  }
  if (base === null) return { dir: "dist", reason: "angular.json names no project" };
  const dir = applicationBuilder ? `${base.replace(/\/$/, "")}/browser` : base;
  return { dir, reason: "angular.json's outputPath" };
}

interface AngularJson {
  defaultProject?: string;
  projects?: Record<
    string,
    {
      architect?: {
        build?: { builder?: string; options?: { outputPath?: string | { base?: string } } };
      };
    }
  >;
}

/** Every framework known, most specific first: the first that matches wins. */
export const FRAMEWORKS: readonly Framework[] = [
  {
    id: "qwik",
    name: "Qwik",
    anyOf: ["@builder.io/qwik-city", "@builder.io/qwik", "@qwik.dev/core", "@qwik.dev/router"],
    command: "qwik build",
    outputDir: "dist",
  },
  {
    id: "remix",
    name: "Remix (SPA mode)",
    anyOf: ["@remix-run/dev"],
    command: "remix vite:build",
    outputDir: "build/client",
  },
  {
    id: "react-router",
    name: "React Router (SPA mode)",
    anyOf: ["@react-router/dev"],
    command: "react-router build",
    outputDir: "build/client",
  },
  {
    id: "solidstart",
    name: "SolidStart",
    anyOf: ["@solidjs/start", "solid-start"],
    command: "vinxi build",
    outputDir: ".output/public",
  },
  {
    id: "sveltekit",
    name: "SvelteKit (static adapter)",
    anyOf: ["@sveltejs/kit"],
    command: "vite build",
    outputDir: "build",
    cacheDirs: [".svelte-kit"],
  },
  {
    id: "analog",
    name: "Analog",
    anyOf: ["@analogjs/platform"],
    command: "vite build",
    outputDir: "dist/analog/public",
  },
  {
    id: "nuxt",
    name: "Nuxt (static generate)",
    anyOf: ["nuxt", "nuxt3", "nuxt-edge", "nuxt-nightly"],
    scripts: ["generate"],
    command: "nuxi generate",
    outputDir: async (context) =>
      (major(context.deps.nuxt) ?? 3) < 3
        ? { dir: "dist", reason: "Nuxt 2 generates into dist" }
        : { dir: ".output/public" },
    cacheDirs: [".nuxt"],
  },
  {
    id: "nextjs",
    name: "Next.js (static export)",
    anyOf: ["next"],
    command: "next build",
    outputDir: "out",
    advise: async (context) => {
      for (const name of ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"]) {
        const text = await context.files.read(name);
        if (text !== null && /output\s*:\s*["'`]export["'`]/.test(text))
          return `${name} sets output: 'export'`;
      }
      return "Next.js writes static files to out/ only with output: 'export' in next.config";
    },
    cacheDirs: [".next/cache"],
  },
  {
    id: "gatsby",
    name: "Gatsby",
    anyOf: ["gatsby"],
    command: "gatsby build",
    outputDir: "public",
    cacheDirs: [".cache", "public"],
  },
  {
    id: "docusaurus",
    name: "Docusaurus",
    anyOf: ["@docusaurus/core"],
    command: "docusaurus build",
    outputDir: "build",
    cacheDirs: [".docusaurus"],
  },
  {
    id: "vitepress",
    name: "VitePress",
    anyOf: ["vitepress"],
    scripts: ["docs:build"],
    command: "vitepress build docs",
    outputDir: (context) => docsFolder(context, "vitepress", ".vitepress"),
    cacheDirs: [".vitepress/cache", "docs/.vitepress/cache"],
  },
  {
    id: "vuepress",
    name: "VuePress",
    anyOf: ["vuepress", "@vuepress/core", "vuepress-vite", "@vuepress/cli"],
    scripts: ["docs:build"],
    command: "vuepress build docs",
    outputDir: (context) => docsFolder(context, "vuepress", ".vuepress"),
  },
  { id: "slidev", name: "Slidev", anyOf: ["@slidev/cli"], command: "slidev build", outputDir: "dist" },
  {
    id: "eleventy",
    name: "Eleventy",
    anyOf: ["@11ty/eleventy"],
    command: "eleventy",
    outputDir: "_site",
    cacheDirs: [".cache"],
  },
  {
    id: "astro",
    name: "Astro",
    anyOf: ["astro"],
    command: "astro build",
    outputDir: "dist",
    cacheDirs: [".astro"],
  },
  { id: "gridsome", name: "Gridsome", anyOf: ["gridsome"], command: "gridsome build", outputDir: "dist" },
  { id: "hexo", name: "Hexo", anyOf: ["hexo"], command: "hexo generate", outputDir: "public" },
  {
    id: "ionic-angular",
    name: "Ionic Angular",
    anyOf: ["@ionic/angular"],
    command: "ng build",
    outputDir: "www",
  },
  {
    id: "angular",
    name: "Angular",
    anyOf: ["@angular/cli", "@angular/core"],
    files: ["angular.json"],
    command: "ng build",
    outputDir: angularOutput,
    cacheDirs: [".angular/cache"],
  },
  {
    id: "vue-cli",
    name: "Vue CLI",
    anyOf: ["@vue/cli-service"],
    command: "vue-cli-service build",
    outputDir: "dist",
  },
  {
    id: "create-react-app",
    name: "Create React App",
    anyOf: ["react-scripts"],
    command: "react-scripts build",
    outputDir: "build",
  },
  {
    id: "preact-cli",
    name: "Preact CLI",
    anyOf: ["preact-cli"],
    command: "preact build",
    outputDir: "build",
  },
  {
    id: "ember",
    name: "Ember.js",
    anyOf: ["ember-cli", "ember-source"],
    command: "ember build --environment=production",
    outputDir: "dist",
  },
  { id: "stencil", name: "Stencil", anyOf: ["@stencil/core"], command: "stencil build", outputDir: "www" },
  { id: "umijs", name: "UmiJS", anyOf: ["umi"], command: "umi build", outputDir: "dist" },
  {
    id: "sapper",
    name: "Sapper",
    anyOf: ["sapper"],
    command: "sapper export",
    outputDir: "__sapper__/export",
  },
  {
    id: "svelte",
    name: "Svelte (Rollup)",
    anyOf: ["svelte"],
    allOf: ["rollup"],
    command: "rollup -c",
    outputDir: "public",
  },
  {
    id: "solid",
    name: "Solid (Vite)",
    anyOf: ["solid-js"],
    allOf: ["vite"],
    command: "vite build",
    outputDir: "dist",
  },
  { id: "vite", name: "Vite", anyOf: ["vite", "vite-plus"], command: "vite build", outputDir: "dist" },
  { id: "parcel", name: "Parcel", anyOf: ["parcel"], command: "parcel build", outputDir: "dist" },
  {
    id: "observable",
    name: "Observable Framework",
    anyOf: ["@observablehq/framework"],
    command: "observable build",
    outputDir: "dist",
  },
  {
    id: "brunch",
    name: "Brunch",
    anyOf: ["brunch"],
    command: "brunch build --production",
    outputDir: "public",
  },
];

/** Vite's templates, by the plugin or library that names them (create-vite's list). */
export const VITE_TEMPLATES: readonly (readonly [string, string])[] = [
  ["@vitejs/plugin-react", "React"],
  ["@vitejs/plugin-react-swc", "React"],
  ["@vitejs/plugin-vue", "Vue"],
  ["@sveltejs/vite-plugin-svelte", "Svelte"],
  ["@preact/preset-vite", "Preact"],
  ["lit", "Lit"],
  ["vite-plugin-solid", "Solid"],
  ["@vitejs/plugin-vue-jsx", "Vue"],
];

/** Looks a framework up by id (for a project setting that skips detection). */
export function frameworkById(id: string): Framework | undefined {
  return FRAMEWORKS.find((framework) => framework.id === id);
}
