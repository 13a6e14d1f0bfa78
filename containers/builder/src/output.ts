import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { lstat, open, readdir, realpath, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import {
  checkDeploymentPath,
  type ManifestInputFile,
  type ManifestVariants,
  wantsVariants,
} from "@miaobu/shared";
import { BuildFailure } from "./clone.ts";
import { isInside } from "./paths.ts";
import type { VariantStore } from "./variant-store.ts";

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

/** What hashing and compressing did, for the log. */
export interface HashSummary {
  files: number;
  /** Contents compressed (each once, however many files hold it). */
  compressed: number;
  /** Variants kept (smaller than their file). */
  variants: number;
  /** Contents whose variants the last build had made (none compressed again). */
  reused: number;
  /** Files that got their variants from another file with the same contents. */
  duplicates: number;
}

/** Compresses a file's bytes for one `Content-Encoding`. */
export type Compress = (bytes: Buffer, encoding: "br" | "gzip") => Promise<Buffer>;

/** brotli (quality 11, 9 above 1 MiB) and gzip (level 9), on the libuv pool. */
export const compressForServing: Compress = (bytes, encoding) =>
  encoding === "br"
    ? brotli(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: bytes.length > 1024 * 1024 ? 9 : 11,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      })
    : gzipAsync(bytes, { level: 9 });

/** Files read and hashed at once at least (reads are short: two keep the disk busy). */
const READERS = 2;

/**
 * Hashes every file (SHA-256), then makes brotli and gzip variants of the files `wantsVariants` names, each
 * kept only when smaller, in `blobDir` (which only the builder can read). Hashing is quick and comes first,
 * so `onHashed` can start uploading the files while they compress. Compression is nearly all the time: it
 * runs `concurrency` files at a time (the cores), largest first so no core idles at the end while one large
 * file finishes, and a content is compressed once however many files hold it. On failure or abort, no new
 * work starts and the error is thrown once work under way has settled.
 */
export async function hashAndCompress(
  files: readonly { path: string; absolute: string; size: number }[],
  blobDir: string,
  options: {
    signal?: AbortSignal;
    /** Files compressed at once; the machine's cores by default. */
    concurrency?: number;
    compress?: Compress;
    /** The project's variants from its last build, reused for unchanged contents and updated. */
    known?: VariantStore;
    /** Receives the summary line. */
    log?: (text: string) => void;
    /** Called once every file is hashed, before compression: the files (without variants) and blobs. */
    onHashed?: (manifest: readonly OutputFile[], blobs: ReadonlyMap<string, BlobSource>) => void;
  } = {},
): Promise<{ manifest: OutputFile[]; blobs: Map<string, BlobSource>; summary: HashSummary }> {
  const compress = options.compress ?? compressForServing;
  const manifest: OutputFile[] = new Array(files.length);
  const blobs = new Map<string, BlobSource>();
  const variantsByHash = new Map<string, ManifestVariants>();
  const claimed = new Set<string>();
  const summary: HashSummary = { files: files.length, compressed: 0, variants: 0, duplicates: 0, reused: 0 };
  const known = options.known;
  const failed = new AbortController();
  const stop = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;

  const readAndHash = async (index: number) => {
    const file = files[index];
    if (!file) throw new Error(`no file ${index}`);
    const bytes = await readRegularFile(file.absolute);
    const entry: OutputFile = {
      path: file.path,
      hash: sha256(bytes),
      size: bytes.length,
      absolute: file.absolute,
    };
    manifest[index] = entry;
    blobs.set(entry.hash, { hash: entry.hash, size: entry.size, file: file.absolute });
  };
  const vary = async (index: number) => {
    const entry = manifest[index];
    const file = files[index];
    if (!entry || !file) throw new Error(`no file ${index}`);
    // The size checked was collectOutput's; a file that changed since is not compressed on its word.
    if (!wantsVariants(entry.path, entry.size)) return;
    if (claimed.has(entry.hash)) {
      summary.duplicates++;
      return;
    }
    claimed.add(entry.hash);
    const variants: ManifestVariants = {};
    let compressed = false;
    let bytes: Buffer | null = null;
    for (const encoding of ["br", "gzip"] as const) {
      stop.throwIfAborted();
      let variant = await known?.find(entry.hash, encoding, blobDir);
      if (!variant) {
        compressed = true;
        bytes ??= await readRegularFile(file.absolute);
        // A variant is served for this hash: it must be made from exactly the bytes hashed.
        if (sha256(bytes) !== entry.hash) throw new BuildFailure(`${entry.path} changed after it was hashed`);
        const body = await compress(bytes, encoding);
        if (body.length >= bytes.length) continue;
        const variantHash = sha256(body);
        const target = path.join(blobDir, variantHash);
        await writeFile(target, body, { mode: 0o600 });
        variant = { hash: variantHash, size: body.length, file: target };
      }
      known?.use(entry.hash, encoding, variant);
      blobs.set(variant.hash, variant);
      variants[encoding] = { hash: variant.hash, size: variant.size };
      summary.variants++;
    }
    if (compressed) summary.compressed++;
    else summary.reused++;
    variantsByHash.set(entry.hash, variants);
  };
  const drain = async (
    queue: readonly number[],
    width: number,
    work: (index: number) => Promise<unknown>,
  ) => {
    let next = 0;
    const worker = async () => {
      while (next < queue.length && !stop.aborted) {
        const index = queue[next++];
        if (index === undefined) continue;
        await work(index).catch((error: unknown) => {
          if (!stop.aborted) failed.abort(error);
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, queue.length) }, worker));
  };

  const indices = files.map((_, index) => index);
  const compressible = indices
    .filter((index) => wantsVariants(files[index]?.path ?? "", files[index]?.size ?? 0))
    .sort((a, b) => (files[b]?.size ?? 0) - (files[a]?.size ?? 0) || a - b);
  const width = options.concurrency ?? availableParallelism();
  await drain(indices, Math.max(READERS, width), readAndHash);
  stop.throwIfAborted();
  options.onHashed?.(
    manifest.map((entry) => ({ ...entry })),
    new Map(blobs),
  );
  await drain(compressible, width, vary);
  stop.throwIfAborted();
  for (const entry of manifest) {
    const variants = wantsVariants(entry.path, entry.size) ? variantsByHash.get(entry.hash) : undefined;
    if (variants?.br || variants?.gzip) entry.variants = variants;
  }
  const { compressed, variants, duplicates, reused } = summary;
  const shared = duplicates > 0 ? ` (${duplicates} more files had the same contents)` : "";
  const again = reused > 0 ? `, ${reused} unchanged since the last build (their variants reused)` : "";
  options.log?.(
    `${files.length} files, ${compressed} compressed${shared}${again}, ${variants} variants kept`,
  );
  return { manifest, blobs, summary };
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
