import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mapLimit } from "./pool";
import type { LocalFile } from "./walk";

/** A file with its SHA-256, as the deployment manifest lists it. */
export interface HashedFile extends LocalFile {
  hash: string;
}

/**
 * The SHA-256 (lowercase hex) and byte count of a file, read as a stream so large files cost no memory.
 * The size is counted from the bytes hashed, so the two always agree even if the file was just rewritten.
 */
export async function hashFile(file: string): Promise<{ hash: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash: hash.digest("hex"), size };
}

/** Hashes files with at most `concurrency` open at once, reporting each one done. */
export function hashFiles(
  files: readonly LocalFile[],
  options: { concurrency?: number; onFile?: (file: LocalFile) => void } = {},
): Promise<HashedFile[]> {
  return mapLimit(files, options.concurrency ?? 8, async (file) => {
    const { hash, size } = await hashFile(file.absolute);
    options.onFile?.(file);
    return { ...file, hash, size };
  });
}
