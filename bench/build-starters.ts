// bench/build's starters: real projects generated at run time by their official scaffolders from the npm
// registry (versions pinned), each given a lockfile by npm, as a developer would commit them.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";

/** What the bench runs programs with: the builder's own Node and npm, as builds get them. */
export interface Tools {
  /** PATH for the programs (the build's toolchain folders). */
  path: string;
  nodeVersion: string;
  npmVersion: string;
  /** npm's cache for the bench's own work (scaffolders, lockfiles), kept between runs; never timed. */
  npmCache: string;
}

/** A generated starter: its folder (with package-lock.json) and how the bench changes it. */
export interface Starter {
  id: "docusaurus" | "vite";
  title: string;
  scaffold: string;
  dir: string;
  /** The source file a warm build changes, and the change. */
  editFile: string;
  edit(text: string, tag: string): string;
  /** The dependency whose version the "dependency bump" build changes, and the version it gets. */
  bump: { name: string; version: string };
}

interface Recipe {
  id: Starter["id"];
  title: string;
  scaffolder: string;
  args: string[];
  editFile: string;
  edit(text: string, tag: string): string;
  bump: { name: string; version: string };
}

const RECIPES: Recipe[] = [
  {
    id: "docusaurus",
    title: "Docusaurus",
    scaffolder: "create-docusaurus@3.10.2",
    args: ["classic", "--javascript", "--skip-install", "--package-manager", "npm"],
    editFile: "docs/intro.mdx",
    edit: (text, tag) => `${text}\nThis page was changed by the benchmark (${tag}).\n`,
    // `^2.0.0` in the template, resolved to the newest 2.x: an older exact version is a real change.
    bump: { name: "clsx", version: "2.0.0" },
  },
  {
    id: "vite",
    title: "Vite (react-ts)",
    scaffolder: "create-vite@9.3.0",
    args: ["--template", "react-ts", "--no-interactive", "--no-immediate"],
    editFile: "src/App.tsx",
    edit: (text, tag) => {
      const changed = text.replace(/<h1>([^<]*)<\/h1>/, `<h1>$1 (${tag})</h1>`);
      if (changed === text) throw new Error("src/App.tsx has no <h1> to change");
      return changed;
    },
    bump: { name: "@types/react-dom", version: "19.0.0" },
  },
];

/** The ids of the starters, in the order the bench runs them. */
export const STARTER_IDS = RECIPES.map((r) => r.id);

export interface RunResult {
  code: number | null;
  ms: number;
  output: string;
}

/** Runs a program without a shell; resolves with its exit code, wall time and the tail of its output. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ms: performance.now() - started, output }));
  });
}

/** Like `run`, but throws with the program's output when it fails. */
export async function mustRun(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0)
    throw new Error(
      `${command} ${args.join(" ")} exited with ${result.code} in ${options.cwd}:\n${result.output}`,
    );
  return result;
}

/**
 * Makes a HOME for npm runs with the `.npmrc` the builder gives builds: `cafile=$NODE_EXTRA_CA_CERTS` when
 * that is set (a machine behind a TLS-inspecting proxy), nothing else.
 */
export async function makeHome(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (ca) await fs.writeFile(path.join(dir, ".npmrc"), `cafile=${ca}\n`);
  return dir;
}

/** The environment of the bench's own npm runs (scaffolding, lockfiles). */
export function toolEnv(tools: Tools, home: string): Record<string, string> {
  return { PATH: tools.path, HOME: home, CI: "1", npm_config_cache: tools.npmCache };
}

const LOCK_ONLY = ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"];

/** Writes package-lock.json for the folder's package.json, as `npm install` would, without installing. */
export async function makeLockfile(dir: string, tools: Tools, home: string): Promise<void> {
  await mustRun("npm", LOCK_ONLY, { cwd: dir, env: toolEnv(tools, home) });
}

/** Generates every starter named in `ids` under `root` with its scaffolder, and makes its lockfile. */
export async function generateStarters(
  ids: readonly string[],
  root: string,
  tools: Tools,
  log: (line: string) => void,
): Promise<Starter[]> {
  const home = await makeHome(path.join(root, "home"));
  const starters: Starter[] = [];
  for (const recipe of RECIPES.filter((r) => ids.includes(r.id))) {
    const started = performance.now();
    // Not the starter's id: npm refuses to install `vite` into a package itself named `vite`.
    const name = `${recipe.id}-starter`;
    const dir = path.join(root, name);
    await mustRun("npx", ["--yes", recipe.scaffolder, name, ...recipe.args], {
      cwd: root,
      env: toolEnv(tools, home),
    });
    await makeLockfile(dir, tools, home);
    const pkg = JSON.parse(await fs.readFile(path.join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const count = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).length;
    const lock = JSON.parse(await fs.readFile(path.join(dir, "package-lock.json"), "utf8")) as {
      packages: Record<string, unknown>;
    };
    const installed = Object.keys(lock.packages).length - 1;
    log(
      `${recipe.scaffolder}: ${count} dependencies, ${installed} packages in the lockfile (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    starters.push({
      id: recipe.id,
      title: recipe.title,
      scaffold: `\`npx ${recipe.scaffolder} <name> ${recipe.args.join(" ")}\`, ${count} dependencies, ${installed} packages in the lockfile`,
      dir,
      editFile: recipe.editFile,
      edit: recipe.edit,
      bump: recipe.bump,
    });
  }
  return starters;
}

/** Changes the starter's source file in `dir` (a copy of the starter); returns its path and new text. */
export async function editSource(starter: Starter, dir: string, tag: string): Promise<[string, string]> {
  const file = path.join(dir, starter.editFile);
  const text = starter.edit(await fs.readFile(file, "utf8"), tag);
  await fs.writeFile(file, text);
  return [starter.editFile, text];
}

/** Sets the bumped dependency's version in `dir`'s package.json and updates its lockfile. */
export async function bumpDependency(
  starter: Starter,
  dir: string,
  tools: Tools,
  home: string,
): Promise<Record<string, string>> {
  const file = path.join(dir, "package.json");
  const pkg = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, Record<string, string>>;
  const { name, version } = starter.bump;
  const section = ["dependencies", "devDependencies"].find((s) => pkg[s]?.[name] !== undefined);
  const deps = section ? pkg[section] : undefined;
  if (!deps) throw new Error(`${starter.id} has no dependency ${name}`);
  deps[name] = version;
  await fs.writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`);
  await makeLockfile(dir, tools, home);
  return {
    "package.json": await fs.readFile(file, "utf8"),
    "package-lock.json": await fs.readFile(path.join(dir, "package-lock.json"), "utf8"),
  };
}
