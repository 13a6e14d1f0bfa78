import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { CliError } from "./errors";

/** Names never deployed, wherever they appear (the same ones `wrangler pages deploy` leaves out). */
export const IGNORED_NAMES: ReadonlySet<string> = new Set([".git", "node_modules", ".DS_Store"]);

/** A file to deploy: its `/`-separated path relative to the folder, where to read it, its size. */
export interface LocalFile {
  path: string;
  absolute: string;
  size: number;
}

/** Something found but left out, so the user can be told. */
export interface SkippedEntry {
  path: string;
  reason: "outside" | "broken-link" | "loop" | "special";
}

export interface FolderContents {
  root: string;
  files: LocalFile[];
  skipped: SkippedEntry[];
}

/**
 * Lists the files under `folder`, sorted by path. Symbolic links are followed only when they point
 * inside the folder, so a deploy never publishes `~/.ssh` through a stray link. Refuses a missing
 * path, a file, or a folder with nothing to deploy.
 */
export async function walkFolder(folder: string): Promise<FolderContents> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new CliError(`${folder} does not exist`);
    throw new CliError(`cannot read ${folder}: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isDirectory()) {
    throw new CliError(`${folder} is not a folder: give the folder to deploy, such as ./dist`);
  }
  const root = await realpath(folder);
  const files: LocalFile[] = [];
  const skipped: SkippedEntry[] = [];
  await visit(root, "", new Set([root]), { root, files, skipped });
  if (files.length === 0) {
    throw new CliError(`${folder} has no files to deploy (build your site first?)`);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  skipped.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { root, files, skipped };
}

interface WalkState {
  root: string;
  files: LocalFile[];
  skipped: SkippedEntry[];
}

async function visit(directory: string, prefix: string, ancestors: Set<string>, state: WalkState) {
  const entries = await readdir(directory, { withFileTypes: true });
  await Promise.all(
    entries
      .filter((entry) => !IGNORED_NAMES.has(entry.name))
      .map((entry) => visitEntry(directory, prefix, entry, ancestors, state)),
  );
}

async function visitEntry(
  directory: string,
  prefix: string,
  entry: Dirent,
  ancestors: Set<string>,
  state: WalkState,
) {
  const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
  let absolute = path.join(directory, entry.name);
  if (entry.isSymbolicLink()) {
    try {
      absolute = await realpath(absolute);
    } catch {
      state.skipped.push({ path: relative, reason: "broken-link" });
      return;
    }
    if (!isInside(state.root, absolute)) {
      state.skipped.push({ path: relative, reason: "outside" });
      return;
    }
  }
  const info = await stat(absolute);
  if (info.isDirectory()) {
    // A link back to a folder being walked would recurse forever.
    if (ancestors.has(absolute)) {
      state.skipped.push({ path: relative, reason: "loop" });
      return;
    }
    await visit(absolute, relative, new Set([...ancestors, absolute]), state);
  } else if (info.isFile()) {
    state.files.push({ path: relative, absolute, size: info.size });
  } else {
    state.skipped.push({ path: relative, reason: "special" });
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  if (relative === "") return true;
  return relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
