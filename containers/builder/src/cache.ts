import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import * as tar from "tar";

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

/** Restores the archive under `key` into `dir`; returns whether there was one. */
export async function restoreDependencies(
  store: CacheStore,
  key: string,
  dir: string,
  scratch: string,
): Promise<{ hit: boolean; bytes: number }> {
  const file = path.join(scratch, "restore.tar.gz");
  let extracting = false;
  try {
    if (!(await store.get(key, file))) return { hit: false, bytes: 0 };
    const { size } = await stat(file);
    extracting = true;
    // node-tar refuses absolute paths, `..` and writing through links, so an archive cannot leave `dir`.
    await tar.x({ file, cwd: dir, preserveOwner: false, strict: false });
    return { hit: true, bytes: size };
  } catch (error) {
    // A half-extracted tree would be worse than none: the install starts clean instead.
    if (extracting) {
      for (const folder of CACHED_FOLDERS) await rm(path.join(dir, folder), { recursive: true, force: true });
    }
    throw error;
  } finally {
    await rm(file, { force: true });
  }
}

/** Archives the cacheable folders of `dir` and stores them under `key`; returns the archive's size. */
export async function saveDependencies(
  store: CacheStore,
  key: string,
  dir: string,
  scratch: string,
): Promise<number> {
  const present: string[] = [];
  for (const folder of CACHED_FOLDERS) {
    try {
      if ((await stat(path.join(dir, folder))).isDirectory()) present.push(folder);
    } catch {
      // Not there.
    }
  }
  if (present.length === 0) return 0;
  const file = path.join(scratch, "save.tar.gz");
  await tar.c({ file, cwd: dir, gzip: { level: 1 }, portable: true, follow: false }, present);
  const { size } = await stat(file);
  await store.put(key, file);
  await rm(file, { force: true });
  return size;
}
