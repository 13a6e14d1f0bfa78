import type { PackageJson, PackageManagerName, ProjectFiles } from "./types.ts";

/** The package manager a project uses, with a version to install when one can be told. */
export interface PackageManagerGuess {
  name: PackageManagerName;
  version: string | null;
  /** The lockfile found, if any (its hash keys the dependency cache). */
  lockfile: string | null;
  reason: string;
}

const LOCKFILES: readonly (readonly [string, PackageManagerName])[] = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
];

const NAMES: ReadonlySet<string> = new Set(["npm", "pnpm", "yarn", "bun"]);

/**
 * The `packageManager` field (`pnpm@9.1.0+sha512…`) wins, as with corepack; else the lockfile;
 * else npm. Each folder in `folders` is searched in order (the app folder, then the repository root).
 */
export async function detectPackageManager(
  pkg: PackageJson | null,
  folders: readonly ProjectFiles[],
): Promise<PackageManagerGuess> {
  let lockfile: { name: string; pm: PackageManagerName; files: ProjectFiles } | null = null;
  for (const files of folders) {
    for (const [name, pm] of LOCKFILES) {
      if (await files.exists(name)) {
        lockfile = { name, pm, files };
        break;
      }
    }
    if (lockfile) break;
  }
  const field = /^(npm|pnpm|yarn|bun)@([^+\s]+)/.exec(pkg?.packageManager ?? "");
  if (field?.[1] && NAMES.has(field[1])) {
    return {
      name: field[1] as PackageManagerName,
      version: field[2] ?? null,
      lockfile: lockfile?.name ?? null,
      reason: `package.json's packageManager says ${field[1]}@${field[2]}`,
    };
  }
  if (!lockfile) return { name: "npm", version: null, lockfile: null, reason: "no lockfile: npm" };
  const version = await versionFromLockfile(lockfile.pm, lockfile.name, lockfile.files);
  return {
    name: lockfile.pm,
    version,
    lockfile: lockfile.name,
    reason: `${lockfile.name} → ${lockfile.pm}${version ? ` ${version}` : ""}`,
  };
}

/** pnpm's lockfile format names its major; a yarn.lock with `__metadata` is Yarn 2+. */
async function versionFromLockfile(
  pm: PackageManagerName,
  name: string,
  files: ProjectFiles,
): Promise<string | null> {
  if (pm === "pnpm") {
    const head = (await files.read(name))?.slice(0, 200) ?? "";
    const format = /lockfileVersion:\s*'?(\d+)(?:\.(\d+))?/.exec(head);
    const lockMajor = Number(format?.[1] ?? 0);
    if (lockMajor >= 9) return "9";
    if (lockMajor === 6) return "8";
    if (lockMajor === 5) return Number(format?.[2] ?? 0) >= 4 ? "7" : "6";
    return null;
  }
  if (pm === "yarn") {
    const head = (await files.read(name))?.slice(0, 500) ?? "";
    return head.includes("__metadata:") ? "4" : "1";
  }
  return null;
}

/** The install command of a package manager (npm `install`, not `ci`, so a restored node_modules is kept). */
export function installCommandFor(pm: PackageManagerName, version: string | null): string {
  switch (pm) {
    case "npm":
      return "npm install";
    case "pnpm":
      return "pnpm install";
    case "yarn":
      return version !== null && !version.startsWith("1") ? "yarn install --immutable" : "yarn install";
    case "bun":
      return "bun install";
  }
}

/** How to run a package.json script. */
export function runScriptFor(pm: PackageManagerName, script: string): string {
  return pm === "npm" ? `npm run ${script}` : `${pm} run ${script}`;
}

/** How to run a dependency's binary. */
export function execFor(pm: PackageManagerName, command: string): string {
  switch (pm) {
    case "npm":
      return `npx --no-install ${command}`;
    case "pnpm":
      return `pnpm exec ${command}`;
    case "yarn":
      return `yarn run ${command}`;
    case "bun":
      return `bunx ${command}`;
  }
}
