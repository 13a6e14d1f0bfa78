import { FRAMEWORKS, type Framework, frameworkById, VITE_TEMPLATES } from "./frameworks.ts";
import { detectNodeVersion } from "./node-version.ts";
import { detectPackageManager, execFor, installCommandFor, runScriptFor } from "./package-manager.ts";
import type { DetectContext, Detection, DetectOverrides, PackageJson, ProjectFiles } from "./types.ts";

export { FRAMEWORKS, type Framework, frameworkById } from "./frameworks.ts";
export { memoryFiles } from "./memory.ts";
export type { PackageManagerGuess } from "./package-manager.ts";
export { detectPackageManager } from "./package-manager.ts";
export type * from "./types.ts";

export interface DetectOptions {
  /** Project settings: each one set replaces what detection would choose. */
  overrides?: DetectOverrides;
  /** The repository root, when the project is a folder inside it (lockfiles and `.nvmrc` may live there). */
  repoFiles?: ProjectFiles;
}

/**
 * Detects how to build a project folder: framework, install and build commands, output folder,
 * Node version and package manager, each with the reason it was chosen.
 */
export async function detectProject(files: ProjectFiles, options: DetectOptions = {}): Promise<Detection> {
  const overrides = options.overrides ?? {};
  const folders = options.repoFiles ? [files, options.repoFiles] : [files];
  const reasons: string[] = [];
  const pkg = await readPackageJson(files, reasons);
  const deps = { ...pkg?.devDependencies, ...pkg?.dependencies };
  const context: DetectContext = { files, pkg, deps };

  const framework = await chooseFramework(context, overrides.framework ?? null, reasons);
  const pm = await detectPackageManager(pkg, folders);
  if (pkg) reasons.push(pm.reason);

  let installCommand: string | null = pkg ? installCommandFor(pm.name, pm.version) : null;
  if (overrides.installCommand) {
    installCommand = overrides.installCommand;
    reasons.push("install command set in the project settings");
  }

  let buildCommand: string | null = null;
  const scripts = pkg?.scripts ?? {};
  const script = [...(framework?.scripts ?? []), "build"].find((name) => typeof scripts[name] === "string");
  if (overrides.buildCommand) {
    buildCommand = overrides.buildCommand;
    reasons.push("build command set in the project settings");
  } else if (script) {
    buildCommand = runScriptFor(pm.name, script);
    reasons.push(`package.json has a "${script}" script`);
  } else if (framework) {
    buildCommand = execFor(pm.name, framework.command);
    reasons.push(`no build script: running ${framework.name}'s own command`);
  }

  const outputDir = await chooseOutputDir(
    context,
    framework,
    buildCommand,
    overrides.outputDir ?? null,
    reasons,
  );

  let nodeVersion: string | null = null;
  if (overrides.nodeVersion) {
    nodeVersion = overrides.nodeVersion;
    reasons.push(`Node ${nodeVersion} set in the project settings`);
  } else {
    const guess = await detectNodeVersion(pkg, folders);
    if (guess) {
      nodeVersion = guess.version;
      reasons.push(guess.reason);
    }
  }

  const advice = framework?.advise ? await framework.advise(context) : null;
  if (advice) reasons.push(advice);
  return {
    framework: framework ? { id: framework.id, name: framework.name } : null,
    installCommand,
    buildCommand,
    outputDir,
    nodeVersion,
    packageManager: pm.name,
    packageManagerVersion: pm.version,
    cacheDirs: framework?.cacheDirs ?? [],
    reasons,
  };
}

async function readPackageJson(files: ProjectFiles, reasons: string[]): Promise<PackageJson | null> {
  const text = await files.read("package.json");
  if (text === null) {
    reasons.push("no package.json: nothing to install");
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as PackageJson;
    reasons.push("package.json is not an object: ignored");
  } catch {
    reasons.push("package.json is not valid JSON: ignored");
  }
  return null;
}

async function chooseFramework(
  context: DetectContext,
  configured: string | null,
  reasons: string[],
): Promise<Framework | null> {
  if (configured) {
    const framework = frameworkById(configured);
    reasons.push(
      framework
        ? `framework ${framework.name} set in the project settings`
        : `unknown framework "${configured}" in the project settings: ignored`,
    );
    if (framework) return framework;
  }
  for (const framework of FRAMEWORKS) {
    const dependency = framework.anyOf.find((name) => name in context.deps);
    const all = (framework.allOf ?? []).every((name) => name in context.deps);
    if (dependency && all) {
      const also = framework.allOf?.length ? ` and ${framework.allOf.join(", ")}` : "";
      reasons.push(
        `package.json depends on ${dependency}${also} → ${framework.name}${viteTemplate(context, framework)}`,
      );
      return framework;
    }
    for (const file of framework.files ?? []) {
      if (await context.files.exists(file)) {
        reasons.push(`${file} exists → ${framework.name}`);
        return framework;
      }
    }
  }
  reasons.push("no framework recognized");
  return null;
}

function viteTemplate(context: DetectContext, framework: Framework): string {
  if (framework.id !== "vite") return "";
  const template = VITE_TEMPLATES.find(([name]) => name in context.deps);
  return template ? ` (${template[1]} template: ${template[0]})` : "";
}

async function chooseOutputDir(
  context: DetectContext,
  framework: Framework | null,
  buildCommand: string | null,
  configured: string | null,
  reasons: string[],
): Promise<string> {
  if (configured) {
    reasons.push(`output folder ${configured} set in the project settings`);
    return configured;
  }
  if (framework) {
    const guess =
      typeof framework.outputDir === "string"
        ? { dir: framework.outputDir }
        : await framework.outputDir(context);
    reasons.push(`${framework.name} writes to ${guess.dir}${guess.reason ? ` (${guess.reason})` : ""}`);
    return guess.dir;
  }
  if (buildCommand) {
    reasons.push("output folder defaults to dist (set outputDir to change it)");
    return "dist";
  }
  if (!(await context.files.exists("index.html")) && (await context.files.exists("public/index.html"))) {
    reasons.push("plain HTML in public/");
    return "public";
  }
  reasons.push("plain HTML: the folder itself is deployed");
  return ".";
}
