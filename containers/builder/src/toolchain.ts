import { access, mkdir, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { PackageManagerName } from "@miaobu/detect";
import semver from "semver";
import { BuildFailure } from "./clone.ts";
import { runProcess } from "./process.ts";
import { operatorNetworkEnv } from "./sandbox/environment.ts";

/** The programs a build runs with: folders to put first on PATH, and what was chosen. */
export interface Toolchain {
  pathDirs: string[];
  nodeVersion: string;
  packageManager: string;
  notes: string[];
}

const LTS: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};
const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export interface ToolchainInput {
  nodeVersion: string | null;
  packageManager: PackageManagerName;
  packageManagerVersion: string | null;
  /** Where tools downloaded from the npm registry are kept (readable by builds, writable by the builder). */
  toolsDir: string;
  signal?: AbortSignal;
  log: (stream: "stdout" | "stderr" | "system", text: string) => void;
}

/**
 * Picks the Node the project asks for (the builder's own when it satisfies the request, else
 * `node@<range>` from the npm registry) and the package manager, installing them once into the tools dir.
 */
export async function resolveToolchain(input: ToolchainInput): Promise<Toolchain> {
  const notes: string[] = [];
  const ownBin = path.dirname(await realpath(process.execPath));
  const npmDir = await findOnPath("npm");
  const range = nodeRange(input.nodeVersion);
  let nodeBin = ownBin;
  let nodeVersion = process.versions.node;
  if (range === null) {
    notes.push(
      `Node ${nodeVersion} (the builder's own${input.nodeVersion ? `, which satisfies ${input.nodeVersion}` : ""})`,
    );
  } else if (semver.satisfies(nodeVersion, range)) {
    notes.push(`Node ${nodeVersion} (the builder's own satisfies ${input.nodeVersion})`);
  } else {
    nodeBin = await installTool(`node@${range}`, input);
    nodeVersion = (await capture(path.join(nodeBin, "node"), ["--version"])).replace(/^v/, "");
    notes.push(`Node ${nodeVersion} (installed from the npm registry for ${input.nodeVersion})`);
  }
  const dirs = [nodeBin];
  const nodeMajor = semver.major(nodeVersion);
  // npm 11 needs Node 20; older Node versions get the npm of their time.
  if (input.packageManager === "npm" && nodeMajor < 20)
    dirs.push(await installTool(nodeMajor >= 18 ? "npm@10" : "npm@9", input));
  const pm = packageManagerPackage(input.packageManager, input.packageManagerVersion);
  if (pm) dirs.push(await installTool(pm, input));
  dirs.push(ownBin);
  if (npmDir) dirs.push(npmDir);
  const pathDirs = [...new Set([...dirs, ...SYSTEM_PATH])];
  const pmVersion = await capture(input.packageManager, ["--version"], pathDirs).catch(() => "?");
  notes.push(`${input.packageManager} ${pmVersion.trim()}`);
  return { pathDirs, nodeVersion, packageManager: `${input.packageManager}@${pmVersion.trim()}`, notes };
}

/** A Node version request as a semver range, or null when the builder's own Node is meant. */
export function nodeRange(spec: string | null): string | null {
  if (spec === null) return null;
  const value = spec
    .trim()
    .toLowerCase()
    .replace(/^v(?=\d)/, "");
  if (["", "node", "latest", "current", "stable", "lts", "lts/*", "*"].includes(value)) return null;
  const codename = /^lts\/(\w+)$/.exec(value)?.[1];
  if (codename) {
    const major = LTS[codename];
    if (major === undefined) throw new BuildFailure(`unknown Node LTS line "${spec}"`);
    return `${major}`;
  }
  const range = semver.validRange(value);
  if (range === null) throw new BuildFailure(`Node version "${spec}" is not a version or range`);
  return value;
}

/**
 * The npm package that provides a package manager, or null for npm (it comes with the builder). The
 * version comes from the repository and the builder installs tools itself: anything but a semver version
 * or range (a URL, a path, a git spec, a tag) is refused.
 */
export function packageManagerPackage(name: PackageManagerName, version: string | null): string | null {
  if (version !== null && (semver.validRange(version) === null || !/^[\w.^~<>=| -]+$/.test(version)))
    throw new BuildFailure(
      `the ${name} version "${version}" (package.json's packageManager or the lockfile) is not a version number or range`,
    );
  switch (name) {
    case "npm":
      return null;
    case "pnpm":
      return `pnpm@${version ?? "10"}`;
    case "yarn":
      return version === null || version.startsWith("1")
        ? `yarn@${version ?? "1"}`
        : `@yarnpkg/cli-dist@${version}`;
    case "bun":
      return `bun@${version ?? "latest"}`;
  }
}

const installing = new Map<string, Promise<string>>();

/** Installs an npm package into its own folder of the tools dir once; returns its `.bin` folder. */
export function installTool(spec: string, input: ToolchainInput): Promise<string> {
  const folder = path.join(input.toolsDir, spec.replace(/[^\w.@^~<>=-]+/g, "_"));
  const bin = path.join(folder, "node_modules", ".bin");
  let pending = installing.get(folder);
  if (!pending) {
    pending = (async () => {
      if (await exists(bin)) return bin;
      input.log("system", `Installing ${spec} from the npm registry`);
      const temporary = `${folder}.tmp-${process.pid}-${Date.now()}`;
      await mkdir(temporary, { recursive: true, mode: 0o755 });
      const result = await runProcess(
        "npm",
        ["install", "--prefix", temporary, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", spec],
        {
          cwd: temporary,
          env: {
            PATH: process.env.PATH ?? SYSTEM_PATH.join(":"),
            HOME: input.toolsDir,
            ...operatorNetworkEnv(),
          },
          ...(input.signal ? { signal: input.signal } : {}),
          onLine: (stream, text) => input.log(stream, text),
        },
      );
      if (result.code !== 0 || !(await exists(path.join(temporary, "node_modules", ".bin")))) {
        await rm(temporary, { recursive: true, force: true });
        throw new BuildFailure(
          `could not install ${spec} from the npm registry (npm exited with ${result.code})`,
        );
      }
      await rename(temporary, folder).catch(async () => rm(temporary, { recursive: true, force: true }));
      return bin;
    })().finally(() => installing.delete(folder));
    installing.set(folder, pending);
  }
  return pending;
}

async function findOnPath(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    // A project's node_modules/.bin would put the platform's own tools on the build's PATH.
    if (dir && !dir.includes("node_modules") && (await exists(path.join(dir, name)))) return dir;
  }
  return null;
}

async function capture(command: string, args: string[], pathDirs?: string[]): Promise<string> {
  let out = "";
  const env = { PATH: pathDirs ? pathDirs.join(":") : (process.env.PATH ?? "") };
  const result = await runProcess(command, args, {
    cwd: "/",
    env,
    onLine: (stream, text) => {
      if (stream === "stdout") out += text;
    },
  });
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.code}`);
  return out;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
