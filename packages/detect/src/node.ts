import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import path from "node:path";
import type { ProjectFiles } from "./types.ts";

/** Larger files are not configuration: detection reads nothing bigger. */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Files of a folder on disk. A path that leaves the folder, directly or through a symbolic link, reads as
 * missing, and so does anything that is not a regular file (a FIFO would block, a device would never end).
 */
export function folderFiles(root: string): ProjectFiles {
  let realRoot: Promise<string | null> | undefined;
  const resolve = async (relative: string): Promise<string | null> => {
    const absolute = path.resolve(root, relative);
    if (!isInside(root, absolute)) return null;
    realRoot ??= realpath(root).catch(() => null);
    const base = await realRoot;
    const real = await realpath(absolute).catch(() => null);
    return base !== null && real !== null && isInside(base, real) ? real : null;
  };
  return {
    async read(relative) {
      const file = await resolve(relative);
      if (file === null) return null;
      // Non-blocking, so a FIFO answers at once (and is then refused as not a regular file).
      const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => null);
      if (!handle) return null;
      try {
        const info = await handle.stat();
        if (!info.isFile() || info.size > MAX_BYTES) return null;
        return await handle.readFile("utf8");
      } catch {
        return null;
      } finally {
        await handle.close();
      }
    },
    async exists(relative) {
      return (await resolve(relative)) !== null;
    },
  };
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}
