import { access } from "node:fs/promises";
import path from "node:path";
import { BuildFailure } from "./clone.ts";
import { type RunAs, runProcess } from "./process.ts";
import type { Reporter } from "./reporter.ts";

/** Why a build stopped early: canceled by the API, or over its time limit. */
export class Stop extends Error {
  readonly kind: "canceled" | "timeout";
  constructor(kind: "canceled" | "timeout") {
    super(kind === "canceled" ? "the build was canceled" : "the build ran past its time limit");
    this.kind = kind;
  }
}

/** Runs a user's command (`sh -c`), as the build user, with the build's environment only. */
export async function runUserCommand(input: {
  what: "install" | "build";
  command: string;
  cwd: string;
  env: Record<string, string>;
  user: RunAs | undefined;
  signal: AbortSignal;
  reporter: Reporter;
}): Promise<void> {
  input.reporter.system(`$ ${input.command}`);
  const result = await runProcess("sh", ["-c", input.command], {
    cwd: input.cwd,
    env: input.env,
    signal: input.signal,
    ...(input.user ? { user: input.user } : {}),
    onLine: (stream, text) => input.reporter.log(stream, text),
  });
  if (result.code !== 0) {
    const how = result.code === null ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    throw new BuildFailure(`the ${input.what} command ${how}`);
  }
}

/** The lockfile a cache key is made from: the project folder's, else the repository root's. */
export async function findLockfile(projectDir: string, repoDir: string): Promise<string | null> {
  const names = [
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
    "package-lock.json",
    "npm-shrinkwrap.json",
  ];
  for (const dir of projectDir === repoDir ? [projectDir] : [projectDir, repoDir]) {
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        await access(file);
        return file;
      } catch {
        // Next.
      }
    }
  }
  return null;
}

/** `1234` → `1.2s`. */
export function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}
