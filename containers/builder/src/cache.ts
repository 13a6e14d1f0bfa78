import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, copyFile, mkdir, open, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { isInside } from "./paths.ts";
import type { Jail } from "./sandbox/jail.ts";

/** Where dependency cache archives live: the storage bucket through the API, a local folder, or both. */
export interface CacheStore {
  /** Copies the archive stored under `key` to `file`; false when there is none. */
  get(key: string, file: string): Promise<boolean>;
  /** Stores `file` under `key`, replacing what was there. */
  put(key: string, file: string): Promise<void>;
}

/** A cache store in a local folder, laid out like the bucket (`projects/{id}/cache/{key}`). */
export class LocalCacheStore implements CacheStore {
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
  }

  async get(key: string, file: string): Promise<boolean> {
    const source = this.#path(key);
    try {
      await access(source);
    } catch {
      return false;
    }
    await copyFile(source, file);
    return true;
  }

  async put(key: string, file: string): Promise<void> {
    const target = this.#path(key);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temporary = `${target}.tmp-${process.pid}`;
    await copyFile(file, temporary);
    await rename(temporary, target);
  }

  #path(key: string): string {
    if (!/^[\w./-]+$/.test(key) || key.split("/").includes("..")) throw new Error(`bad cache key ${key}`);
    return path.join(this.#dir, key);
  }
}

/** The storage key of a project's dependency cache: lockfile hash, Node major and package manager. */
export async function dependencyCacheKey(input: {
  projectId: string;
  lockfile: string;
  nodeVersion: string;
  packageManager: string;
}): Promise<string> {
  const lock = createHash("sha256");
  for await (const chunk of createReadStream(input.lockfile)) lock.update(chunk as Buffer);
  const major = input.nodeVersion.split(".")[0] ?? input.nodeVersion;
  const key = createHash("sha256")
    .update(`${lock.digest("hex")}\nnode${major}\n${input.packageManager}\n${path.basename(input.lockfile)}`)
    .digest("hex");
  return `projects/${input.projectId}/cache/${key}.tar.gz`;
}

/** Folders, relative to the project, that an install fills and a later install can reuse. */
export const CACHED_FOLDERS = ["node_modules", ".yarn/cache"];

/** Where a project is, for privileged code (`host`, its real path) and for the jail (`inside`). */
export interface ProjectPaths {
  host: string;
  inside: string;
}

/**
 * Restores the archive under `key` into the project; returns whether there was one. The archive was made
 * by a build, so only the jail extracts it, as the build user, into a tree that shows nothing else.
 */
export async function restoreDependencies(
  store: CacheStore,
  key: string,
  jail: Jail,
  project: ProjectPaths,
  signal: AbortSignal,
): Promise<{ hit: boolean; bytes: number }> {
  const file = path.join(jail.workspace.private, "restore.tar.gz");
  try {
    if (!(await store.get(key, file))) return { hit: false, bytes: 0 };
    const { size } = await stat(file);
    const archive = await open(file, "r");
    try {
      await inProject(jail, project, signal, ["tar", "--gzip", "-x", "-f", "-", "--no-same-owner"], {
        stdin: archive.fd,
      }).catch(async (error: unknown) => {
        // A half-extracted tree would be worse than none: the install starts clean instead.
        await inProject(jail, project, signal, ["rm", "-rf", "--", ...CACHED_FOLDERS]);
        throw error;
      });
    } finally {
      await archive.close();
    }
    return { hit: true, bytes: size };
  } finally {
    await rm(file, { force: true });
  }
}

/** Archives the cacheable folders of the project (in the jail) and stores them; returns the archive's size. */
export async function saveDependencies(
  store: CacheStore,
  key: string,
  jail: Jail,
  project: ProjectPaths,
  signal: AbortSignal,
): Promise<number> {
  const present: string[] = [];
  const root = await realpath(path.join(jail.workspace.host, "src"));
  for (const folder of CACHED_FOLDERS) {
    // Only a real folder inside the checkout counts: the build may have left links anywhere.
    const real = await realpath(path.join(project.host, folder)).catch(() => null);
    if (real && isInside(root, real) && (await stat(real)).isDirectory()) present.push(folder);
  }
  if (present.length === 0) return 0;
  const file = path.join(jail.workspace.private, "save.tar.gz");
  const archive = await open(file, "wx", 0o600);
  try {
    await inProject(jail, project, signal, ["tar", "--gzip", "-c", "-f", "-", "--", ...present], {
      stdout: archive.fd,
    });
  } finally {
    await archive.close();
  }
  try {
    const { size } = await stat(file);
    await store.put(key, file);
    return size;
  } finally {
    await rm(file, { force: true });
  }
}

/** Runs a system program in the project folder of the jail, with no network; throws with its last words. */
async function inProject(
  jail: Jail,
  project: ProjectPaths,
  signal: AbortSignal,
  [command = "", ...args]: string[],
  io: { stdin?: number; stdout?: number } = {},
): Promise<void> {
  const errors: string[] = [];
  const result = await jail.run({
    command,
    args,
    cwd: project.inside,
    env: { PATH: "/usr/bin:/bin" },
    network: "none",
    signal,
    onLine: (_stream, text) => errors.push(text),
    ...io,
  });
  if (result.code !== 0)
    throw new Error(`${command} exited with ${result.code}: ${errors.slice(-3).join(" ").trim()}`);
}
