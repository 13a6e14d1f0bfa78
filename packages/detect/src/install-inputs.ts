// What an install reads from the project, as one hash: the builder skips the install when a build cache
// was made by an install of exactly the same inputs (docs/builder.md, "Build cache").
import type { PackageJson, PackageManagerName, ProjectFiles } from "./types.ts";

/** Files an npm or pnpm install reads from the project folder, besides the registry. */
const INPUT_FILES = [
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "pnpm-lock.yaml",
  ".npmrc",
  ".pnpmfile.cjs",
];

/** Root scripts an install runs: they may write anywhere in the checkout, so their work is not cached. */
const INSTALL_SCRIPTS = [
  "preinstall",
  "install",
  "postinstall",
  "prepublish",
  "preprepare",
  "prepare",
  "postprepare",
];

/** Dependency specs whose content lives in the repository (or elsewhere) rather than in the lockfile. */
const LOCAL_SPEC = /^(?:file|link|workspace|portal|patch):/;

/**
 * The SHA-256 (hex) of every file an install of this project reads, or null with the reason when skipping
 * the install could ever be wrong: not npm or pnpm, no lockfile, workspaces, install scripts of the
 * project's own, local dependencies, or a file detection cannot read.
 */
export async function installInputs(
  files: ProjectFiles,
  packageManager: PackageManagerName,
): Promise<{ hash: string | null; reason: string }> {
  if (packageManager !== "npm" && packageManager !== "pnpm")
    return { hash: null, reason: `${packageManager} installs always run` };
  const texts: string[] = [];
  for (const name of INPUT_FILES) {
    const present = await files.exists(name);
    const text = present ? await files.read(name) : null;
    if (present && text === null) return { hash: null, reason: `${name} cannot be read` };
    texts.push(`${name}\0${text ?? "\0absent"}`);
  }
  const [pkgText, npmLock, shrinkwrap, pnpmLock] = texts.map((t) => !t.endsWith("\0absent"));
  if (!pkgText) return { hash: null, reason: "no package.json" };
  if (!npmLock && !shrinkwrap && !pnpmLock) return { hash: null, reason: "no lockfile" };
  if (await files.exists("pnpm-workspace.yaml")) return { hash: null, reason: "a pnpm workspace" };
  let pkg: PackageJson & { workspaces?: unknown; optionalDependencies?: Record<string, string> };
  try {
    pkg = JSON.parse((await files.read("package.json")) ?? "") as typeof pkg;
  } catch {
    return { hash: null, reason: "package.json is not JSON" };
  }
  if (pkg.workspaces !== undefined) return { hash: null, reason: "npm workspaces" };
  const script = INSTALL_SCRIPTS.find((name) => typeof pkg.scripts?.[name] === "string");
  if (script) return { hash: null, reason: `package.json has a ${script} script` };
  const specs = [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies].flatMap((deps) =>
    Object.values(deps ?? {}),
  );
  if (specs.some((spec) => typeof spec === "string" && LOCAL_SPEC.test(spec)))
    return { hash: null, reason: "a dependency comes from the repository (file:, link:, …)" };
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(texts.join("\0\0")));
  const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { hash, reason: "" };
}
