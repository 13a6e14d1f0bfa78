import { chown, lstat, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ProjectPaths } from "./cache.ts";
import { BuildFailure } from "./clone.ts";
import { isInside } from "./paths.ts";
import type { RunAs } from "./process.ts";
import type { Reporter } from "./reporter.ts";
import type { Jail } from "./sandbox/jail.ts";

/** Why a build stopped early: canceled by the API, or over its time limit. */
export class Stop extends Error {
  readonly kind: "canceled" | "timeout";
  constructor(kind: "canceled" | "timeout") {
    super(kind === "canceled" ? "the build was canceled" : "the build ran past its time limit");
    this.kind = kind;
  }
}

/** Runs a user's command (`sh -c`) in the jail, with the build's environment only and outbound internet. */
export async function runUserCommand(input: {
  what: "install" | "build";
  command: string;
  jail: Jail;
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  reporter: Reporter;
}): Promise<void> {
  input.reporter.system(`$ ${input.command}`);
  const result = await input.jail.run({
    command: "sh",
    args: ["-c", input.command],
    cwd: input.cwd,
    env: input.env,
    network: "internet",
    signal: input.signal,
    onLine: (stream, text) => input.reporter.log(stream, text),
  });
  if (result.code === 0) return;
  const how = result.code === null ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  const workspace = input.jail.workspace;
  if (await workspace.full())
    throw new BuildFailure(
      `the ${input.what} command ${how}: the build used all of its ${mb(workspace.diskBytes ?? 0)} of disk (the builder's BUILDER_DISK_MB)`,
    );
  if (await input.jail.cgroup?.oomKilled())
    throw new BuildFailure(
      `the ${input.what} command ${how}: the build ran out of memory (the builder's BUILDER_MEMORY_MB)`,
    );
  if (await input.jail.cgroup?.processLimitHit())
    throw new BuildFailure(
      `the ${input.what} command ${how}: the build tried to run more processes than its limit (the builder's BUILDER_PROCESSES)`,
    );
  throw new BuildFailure(`the ${input.what} command ${how}`);
}

/**
 * The project folder of a checkout: `rootDir` must be a real folder inside the checkout, not a link out of
 * it. Returns its real path on the host and its path in the jail.
 */
export async function projectPaths(jail: Jail, rootDir: string | null): Promise<ProjectPaths> {
  const checkout = await realpath(path.join(jail.workspace.host, "src"));
  const inside = `${jail.workspace.inside}/src`;
  if (!rootDir) return { host: checkout, inside };
  const real = await realpath(path.join(checkout, rootDir)).catch(() => null);
  if (real === null || !(await lstat(real)).isDirectory())
    throw new BuildFailure(`the root directory ${rootDir} does not exist in the repository`);
  if (!isInside(checkout, real))
    throw new BuildFailure(`the root directory ${rootDir} is a link to a folder outside the repository`);
  const relative = path.relative(checkout, real);
  return { host: real, inside: relative === "" ? inside : `${inside}/${relative.split(path.sep).join("/")}` };
}

/**
 * The build's `~/.npmrc` before the operator's lines: no audit or funding requests to the registry (a
 * second or more per install) and no update check. A project's own `.npmrc` still overrides them.
 */
const NPM_DEFAULTS = ["audit=false", "fund=false", "update-notifier=false"];

/**
 * Writes the build's `~/.npmrc` (`workspace` is the host path). No build code has run yet, `home` must be
 * a real folder (a kept workspace's was tidied by the jail too), and `wx` refuses a link in its place.
 */
export async function writeNpmrc(
  workspace: string,
  user: RunAs | undefined,
  operator: string | null,
): Promise<void> {
  const file = path.join(await realFolder(workspace, "home"), ".npmrc");
  await writeFile(file, `${[...NPM_DEFAULTS, operator ?? ""].join("\n")}\n`, { flag: "wx", mode: 0o644 });
  if (user) await chown(file, user.uid, user.gid);
}

/** `dir/name` when it is a real folder directly in `dir` (no link anywhere on the way); throws otherwise. */
export async function realFolder(dir: string, name: string): Promise<string> {
  const wanted = path.join(await realpath(dir), name);
  const real = await realpath(wanted).catch(() => null);
  if (real !== wanted || !(await lstat(real)).isDirectory())
    throw new Error(`${wanted} is not a folder of the workspace`);
  return real;
}

/** `1234` → `1.2s`. */
export function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** Bytes as whole megabytes: `10240 MB`. */
export function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}
