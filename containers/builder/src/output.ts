import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { lstat, open, readdir, realpath, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { checkDeploymentPath, contentTypeFor, isCompressible, type ManifestInputFile } from "@miaobu/shared";
import { BuildFailure } from "./clone.ts";
import { isInside } from "./paths.ts";

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Names never deployed, wherever they are (the same ones `miaobu deploy` leaves out). */
const IGNORED = new Set([".git", "node_modules", ".DS_Store"]);

/** A file of the output: where to read it, and the blobs it becomes. */
export interface OutputFile extends ManifestInputFile {
  absolute: string;
}

/** A blob to upload: its bytes live in `file`. */
export interface BlobSource {
  hash: string;
  size: number;
  file: string;
}

/**
 * Lists the output folder, refusing what must not be deployed: a folder outside the checkout, links
 * that leave the output folder, unsafe paths, too many or too large files.
 */
export async function collectOutput(
  checkout: string,
  projectDir: string,
  outputDir: string,
  limits: { maxFiles: number; maxFileBytes: number },
): Promise<{ root: string; files: { path: string; absolute: string; size: number }[]; skipped: string[] }> {
  const candidate = path.resolve(projectDir, outputDir);
  if (!isInside(checkout, candidate))
    throw new BuildFailure(`the output folder ${outputDir} is outside the repository`);
  let root: string;
  try {
    root = await realpath(candidate);
    if (!(await stat(root)).isDirectory()) throw new Error("not a folder");
  } catch {
    throw new BuildFailure(
      `the output folder ${outputDir} does not exist after the build: check the build command and the output folder setting`,
    );
  }
  if (!isInside(await realpath(checkout), root))
    throw new BuildFailure(`the output folder ${outputDir} links outside the repository`);
  const files: { path: string; absolute: string; size: number }[] = [];
  const skipped: string[] = [];
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (IGNORED.has(entry.name)) continue;
      const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      let absolute = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await realpath(absolute).catch(() => null);
        if (target === null) {
          skipped.push(`${relative} (a broken link)`);
          continue;
        }
        if (!isInside(root, target))
          throw new BuildFailure(`${relative} is a link to a path outside the output folder`);
        absolute = target;
      }
      const info = await lstat(absolute);
      if (info.isDirectory()) {
        if (entry.isSymbolicLink()) {
          skipped.push(`${relative} (a link to a folder)`);
          continue;
        }
        await visit(absolute, relative);
      } else if (info.isFile()) {
        const checked = checkDeploymentPath(relative);
        if ("problem" in checked)
          throw new BuildFailure(`cannot deploy ${JSON.stringify(relative)}: ${checked.problem}`);
        if (info.size > limits.maxFileBytes)
          throw new BuildFailure(
            `${relative} is ${info.size} bytes, over the limit of ${limits.maxFileBytes} bytes per file`,
          );
        files.push({ path: relative, absolute, size: info.size });
        if (files.length > limits.maxFiles)
          throw new BuildFailure(
            `the output has more than ${limits.maxFiles} files, the limit per deployment`,
          );
      } else {
        skipped.push(`${relative} (not a regular file)`);
      }
    }
  };
  await visit(root, "");
  if (files.length === 0) throw new BuildFailure(`the output folder ${outputDir} is empty`);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, files, skipped };
}

/**
 * Hashes every file (SHA-256) and makes brotli and gzip variants of compressible ones, kept only
 * when smaller. Variants are written to `blobDir`, which only the builder can read.
 */
export async function hashAndCompress(
  files: readonly { path: string; absolute: string; size: number }[],
  blobDir: string,
  concurrency = 4,
): Promise<{ manifest: OutputFile[]; blobs: Map<string, BlobSource> }> {
  const manifest: OutputFile[] = new Array(files.length);
  const blobs = new Map<string, BlobSource>();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      const file = files[index];
      if (!file) continue;
      const bytes = await readRegularFile(file.absolute);
      const hash = sha256(bytes);
      const entry: OutputFile = { path: file.path, hash, size: bytes.length, absolute: file.absolute };
      blobs.set(hash, { hash, size: bytes.length, file: file.absolute });
      if (bytes.length >= 64 && isCompressible(contentTypeFor(file.path))) {
        const variants: NonNullable<OutputFile["variants"]> = {};
        const quality = bytes.length > 1024 * 1024 ? 9 : 11;
        const br = await brotli(bytes, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: quality,
            [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          },
        });
        const gz = await gzipAsync(bytes, { level: 9 });
        for (const [name, body] of [
          ["br", br],
          ["gzip", gz],
        ] as const) {
          if (body.length >= bytes.length) continue;
          const variantHash = sha256(body);
          const target = path.join(blobDir, variantHash);
          await writeFile(target, body, { mode: 0o600 });
          blobs.set(variantHash, { hash: variantHash, size: body.length, file: target });
          variants[name] = { hash: variantHash, size: body.length };
        }
        if (variants.br || variants.gzip) entry.variants = variants;
      }
      manifest[index] = entry;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { manifest, blobs };
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads a file of the build's output without following a link in its last component, nor a special file. */
async function readRegularFile(file: string): Promise<Buffer> {
  const handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new BuildFailure(`${file} is no longer a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
