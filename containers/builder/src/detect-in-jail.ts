// Detection reads a repository that may hold anything (links to /etc/shadow, FIFOs, huge files), so it runs
// as the build user in the jail, where nothing but the checkout exists to be read.
import path from "node:path";
import type { Detection, DetectOverrides } from "@miaobu/detect";
import type { ProjectPaths } from "./cache.ts";
import { BuildFailure } from "./clone.ts";
import type { Jail } from "./sandbox/jail.ts";

/** Where the detection program is: the builder's own Node and `@miaobu/detect`'s CLI (both read-only in jails). */
export interface DetectProgram {
  nodeBin: string;
  cli: string;
}

/** Detection, and what an install of the project reads (hashed), from the detection program. */
export type JailDetection = Detection & { installInputs: { hash: string | null; reason: string } };

/** Detects how to build the project, in the jail. */
export async function detectInJail(
  jail: Jail,
  program: DetectProgram,
  input: {
    project: ProjectPaths;
    repoInside: string | null;
    overrides: DetectOverrides;
    signal?: AbortSignal;
  },
): Promise<JailDetection> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const result = await jail.run({
    command: path.join(program.nodeBin, "node"),
    args: [program.cli, input.project.inside, input.repoInside ?? "-", JSON.stringify(input.overrides)],
    cwd: input.project.inside,
    env: { PATH: `${program.nodeBin}:/usr/bin:/bin`, HOME: `${jail.workspace.inside}/home` },
    network: "none",
    ...(input.signal ? { signal: input.signal } : {}),
    onLine: (stream, text) => (stream === "stdout" ? stdout : stderr).push(text),
  });
  if (result.code !== 0)
    throw new BuildFailure(`could not detect how to build the project: ${stderr.slice(-3).join(" ").trim()}`);
  return parseDetection(stdout.join("\n"));
}

const PACKAGE_MANAGERS = new Set(["npm", "pnpm", "yarn", "bun"]);
/** A folder below the project: plain names, no `.`/`..` segments, never absolute. */
const RELATIVE = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[\w.@-]+(?:\/[\w.@-]+)*$/;

/** Checks the shape of what the detection program printed. */
export function parseDetection(text: string): JailDetection {
  const value: unknown = JSON.parse(text);
  const record = (value ?? {}) as Record<string, unknown>;
  for (const key of ["installCommand", "buildCommand", "nodeVersion", "packageManagerVersion"]) {
    const field = record[key];
    if (field !== null && typeof field !== "string") throw new BuildFailure(`detection gave a bad ${key}`);
  }
  if (typeof record.outputDir !== "string" || !PACKAGE_MANAGERS.has(String(record.packageManager)))
    throw new BuildFailure("detection gave no output folder or an unknown package manager");
  if (!Array.isArray(record.reasons) || !record.reasons.every((reason) => typeof reason === "string"))
    throw new BuildFailure("detection gave bad reasons");
  const dirs = record.cacheDirs ?? [];
  if (!Array.isArray(dirs) || !dirs.every((dir) => typeof dir === "string" && RELATIVE.test(dir)))
    throw new BuildFailure("detection gave bad cache folders");
  const inputs = (record.installInputs ?? {}) as { hash?: unknown; reason?: unknown };
  const hash = typeof inputs.hash === "string" && /^[0-9a-f]{64}$/.test(inputs.hash) ? inputs.hash : null;
  const reason = typeof inputs.reason === "string" ? inputs.reason.slice(0, 200) : "";
  return { ...(value as Detection), cacheDirs: dirs, installInputs: { hash, reason } };
}
