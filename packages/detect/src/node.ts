import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { ProjectFiles } from "./types.ts";

/** Files of a folder on disk. Paths that would leave the folder read as missing. */
export function folderFiles(root: string): ProjectFiles {
  const resolve = (relative: string): string | null => {
    const absolute = path.resolve(root, relative);
    const inside = path.relative(root, absolute);
    return inside.startsWith("..") || path.isAbsolute(inside) ? null : absolute;
  };
  return {
    async read(relative) {
      const absolute = resolve(relative);
      if (absolute === null) return null;
      try {
        return await readFile(absolute, "utf8");
      } catch {
        return null;
      }
    },
    async exists(relative) {
      const absolute = resolve(relative);
      if (absolute === null) return false;
      try {
        await stat(absolute);
        return true;
      } catch {
        return false;
      }
    },
  };
}
