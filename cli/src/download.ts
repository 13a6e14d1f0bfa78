import { createHash, randomBytes } from "node:crypto";
import { copyFile, lstat, mkdir, open, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { ApiClient } from "./api";
import { ApiError, CliError } from "./errors";
import { hashFile } from "./hash";
import type { ExportedFile } from "./types";

/** One stored content of a deployment and every path that holds it: fetched once, written to each. */
export interface BlobToWrite {
  hash: string;
  size: number;
  /** Relative paths, as the manifest lists them. */
  paths: string[];
}

/** Why a manifest path must not be written under the target folder, or null when it may. */
export function unsafePathReason(
  relative: string,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if (relative === "") return "it is empty";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
  if (/[\u0000-\u001f\u007f]/.test(relative)) return "it contains a control character";
  if (relative.includes("\\")) return "it contains a backslash";
  if (relative.startsWith("/") || /^[A-Za-z]:/.test(relative)) return "it is absolute";
  const segments = relative.split("/");
  if (segments.includes("")) return "it has an empty segment";
  if (segments.some((segment) => segment === "." || segment === "..")) return "it has a '.' or '..' segment";
  // Windows reads `a:b` as a drive or an alternate data stream.
  if (platform === "win32" && /[:<>"|?*]/.test(relative)) return "it has a character Windows reserves";
  return null;
}

/**
 * The absolute path of a manifest path under `root` (already resolved). The API never stores an unsafe
 * path, but the CLI does not write outside the folder it was given whatever the answer says.
 */
export function targetPath(root: string, relative: string): string {
  const reason = unsafePathReason(relative);
  const absolute = path.resolve(root, ...relative.split("/"));
  const inside = path.relative(root, absolute);
  if (reason || inside === "" || inside.startsWith("..") || path.isAbsolute(inside)) {
    throw new CliError(
      `refusing to write ${JSON.stringify(relative)} listed by the deployment: ${reason ?? "it resolves outside the folder"}`,
      { code: "unsafe_path" },
    );
  }
  return absolute;
}

/** Groups the files by content, and refuses a list where one path is also another's folder. */
export function planBlobs(files: readonly ExportedFile[]): BlobToWrite[] {
  const paths = new Set(files.map((file) => file.path));
  const byHash = new Map<string, BlobToWrite>();
  for (const file of files) {
    const segments = file.path.split("/");
    for (let end = 1; end < segments.length; end += 1) {
      const folder = segments.slice(0, end).join("/");
      if (paths.has(folder)) {
        throw new CliError(`the deployment lists both the file "${folder}" and "${file.path}" inside it`, {
          code: "unsafe_path",
        });
      }
    }
    const blob = byHash.get(file.hash);
    if (blob) blob.paths.push(file.path);
    else byHash.set(file.hash, { hash: file.hash, size: file.size, paths: [file.path] });
  }
  return [...byHash.values()];
}

/**
 * Checks the target folder is new or empty (unless `force`) without creating anything yet, so a refused
 * download leaves no trace. Answers its absolute path and whether it holds anything.
 */
export async function checkFolder(dir: string, force: boolean): Promise<{ path: string; empty: boolean }> {
  const resolved = path.resolve(dir);
  let entries: string[] = [];
  try {
    if (!(await stat(resolved)).isDirectory()) {
      throw new CliError(`${dir} exists and is not a folder: give a new or empty folder`, {
        code: "not_a_folder",
      });
    }
    entries = await readdir(resolved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (entries.length > 0 && !force) {
    throw new CliError(
      `${dir} is not empty: give a new or empty folder, or pass --force to write the deployment's files into it`,
      { code: "not_empty" },
    );
  }
  return { path: resolved, empty: entries.length === 0 };
}

/** Creates the folder and answers its real path, which every write is then checked against. */
export async function createFolder(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  return realpath(folder);
}

/** Writes files under one folder, each through a temporary file and a rename, never outside the folder. */
export class FolderWriter {
  /** The folder's real path. */
  readonly root: string;
  private readonly temporary = new Set<string>();
  private readonly parents = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = root;
  }

  /** True when `relative` already holds exactly this content (a retry with --force keeps it). */
  async holds(relative: string, blob: BlobToWrite): Promise<boolean> {
    const target = targetPath(this.root, relative);
    const info = await lstat(target).catch(() => null);
    if (!info?.isFile() || info.size !== blob.size) return false;
    return (await hashFile(target)).hash === blob.hash;
  }

  /** A new temporary file beside `relative`'s target, opened for writing. */
  async create(relative: string) {
    const target = targetPath(this.root, relative);
    await this.ensureParent(target);
    const temp = path.join(path.dirname(target), `.miaobu-${randomBytes(6).toString("hex")}.tmp`);
    this.temporary.add(temp);
    return { temp, handle: await open(temp, "wx") };
  }

  /** Copies a file already written (or a temporary one) to a new temporary file beside `relative`. */
  async copy(source: string, relative: string): Promise<string> {
    const { temp, handle } = await this.create(relative);
    await handle.close();
    await copyFile(source, temp);
    return temp;
  }

  /** Moves a temporary file over `relative`'s target. */
  async commit(temp: string, relative: string): Promise<void> {
    await rename(temp, targetPath(this.root, relative));
    this.temporary.delete(temp);
  }

  /** Deletes a temporary file that will not be used. */
  async discard(temp: string): Promise<void> {
    this.temporary.delete(temp);
    await rm(temp, { force: true });
  }

  /** Deletes every temporary file left by a failed or interrupted run. */
  async cleanUp(): Promise<void> {
    const left = [...this.temporary];
    this.temporary.clear();
    await Promise.all(left.map((temp) => rm(temp, { force: true }).catch(() => undefined)));
  }

  /** The absolute path of `relative`. */
  pathOf(relative: string): string {
    return targetPath(this.root, relative);
  }

  // A link inside an existing folder (`--force`) could lead a write elsewhere: the deepest folder that
  // exists must really be inside ours before anything is created under it, and so must the parent after.
  private ensureParent(target: string): Promise<void> {
    const parent = path.dirname(target);
    let checked = this.parents.get(parent);
    if (!checked) {
      checked = (async () => {
        let existing = parent;
        while (existing !== this.root && !(await stat(existing).catch(() => null))) {
          existing = path.dirname(existing);
        }
        await this.checkInside(existing);
        try {
          await mkdir(parent, { recursive: true });
        } catch (error) {
          const where = path.relative(this.root, parent);
          throw new CliError(`cannot create the folder ${where}: ${(error as Error).message}`, {
            code: "write_failed",
            cause: error,
          });
        }
        await this.checkInside(parent);
      })();
      this.parents.set(parent, checked);
    }
    return checked;
  }

  private async checkInside(folder: string): Promise<void> {
    const real = await realpath(folder);
    if (real !== this.root && !real.startsWith(`${this.root}${path.sep}`)) {
      throw new CliError(
        `refusing to write into ${path.relative(this.root, folder)}: it is a link to ${real}, outside the folder`,
        { code: "unsafe_path" },
      );
    }
  }
}

const ATTEMPTS = 3;

/**
 * Fetches one blob into a temporary file beside the first of `relative`, checking its SHA-256 and size, and
 * answers the temporary file. A connection that breaks while the body streams is tried again from the start.
 */
export async function fetchBlob(
  client: ApiClient,
  writer: FolderWriter,
  deploymentId: string,
  blob: BlobToWrite,
  relative: string,
  options: { signal: AbortSignal; onBytes: (bytes: number) => void },
): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const { temp, handle } = await writer.create(relative);
    let counted = 0;
    try {
      const response = await client.downloadFile(deploymentId, blob.hash, options.signal);
      const hash = createHash("sha256");
      let size = 0;
      if (response.body) {
        for await (const chunk of response.body) {
          hash.update(chunk);
          size += chunk.byteLength;
          try {
            await handle.write(chunk);
          } catch (error) {
            throw new CliError(`cannot write ${relative}: ${(error as Error).message}`, {
              code: "write_failed",
              cause: error,
            });
          }
          counted += chunk.byteLength;
          options.onBytes(chunk.byteLength);
        }
      }
      await handle.close();
      const actual = hash.digest("hex");
      if (actual !== blob.hash || size !== blob.size) {
        throw new CliError(
          `${relative} arrived with other bytes than the deployment lists (sha256 ${actual}, ${size} bytes; expected ${blob.hash}, ${blob.size} bytes)`,
          { code: "hash_mismatch" },
        );
      }
      return temp;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await writer.discard(temp);
      options.onBytes(-counted);
      if (options.signal.aborted) throw options.signal.reason;
      // Worth another try: a body cut short (a bare stream error) or bytes that came out wrong. An API answer,
      // an unreachable API (already retried) or a failed local write would only fail again.
      const retryable =
        error instanceof CliError ? error.code === "hash_mismatch" : !(error instanceof ApiError);
      if (!retryable || attempt >= ATTEMPTS) throw error;
    }
  }
}
