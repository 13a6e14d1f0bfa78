// The compressed variants of a project's last build, kept on the builder's disk (kept mode): a file whose
// contents did not change since is not compressed again. Brotli at quality 11 is nearly all of the time of
// "hash and compress", and a warm build changes a few files of hundreds.
import { copyFile, link, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

/** A variant already made: its own hash and size, and a private copy of its bytes. */
export interface KnownVariant {
  hash: string;
  size: number;
  file: string;
}

type Encoding = "br" | "gzip";
const NAME = /^([a-f0-9]{64})\.(br|gzip)\.([a-f0-9]{64})$/;

/**
 * One project's variants, as files `{file hash}.{encoding}.{variant hash}` in a folder only the builder
 * reads (build code never writes there, so what it holds is what the builder compressed).
 */
export class VariantStore {
  readonly #dir: string;
  #index: Promise<Map<string, string>> | null = null;
  readonly #used = new Map<string, string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The variant of a file's contents made before, linked into `blobDir` (so a later save cannot pull it away). */
  async find(fileHash: string, encoding: Encoding, blobDir: string): Promise<KnownVariant | null> {
    if (!this.#index) this.#index = this.#read();
    const index = await this.#index;
    const variantHash = index.get(`${fileHash}.${encoding}`);
    if (!variantHash) return null;
    const target = path.join(blobDir, variantHash);
    try {
      await linkOrCopy(path.join(this.#dir, `${fileHash}.${encoding}.${variantHash}`), target);
      return { hash: variantHash, size: (await stat(target)).size, file: target };
    } catch {
      return null;
    }
  }

  /** Notes a variant this build uses (made now or found), to keep for the next build. */
  use(fileHash: string, encoding: Encoding, variant: KnownVariant): void {
    this.#used.set(`${fileHash}.${encoding}.${variant.hash}`, variant.file);
  }

  /** Replaces the kept variants with the ones this build used. */
  async save(): Promise<void> {
    const next = `${this.#dir}.next-${process.pid}-${Date.now()}`;
    await mkdir(next, { recursive: true, mode: 0o700 });
    try {
      for (const [name, file] of this.#used) await linkOrCopy(file, path.join(next, name));
      await rm(this.#dir, { recursive: true, force: true });
      await rename(next, this.#dir);
    } catch (error) {
      await rm(next, { recursive: true, force: true });
      throw error;
    }
  }

  async #read(): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    for (const name of await readdir(this.#dir).catch(() => [])) {
      const match = NAME.exec(name);
      if (match) index.set(`${match[1]}.${match[2]}`, match[3] ?? "");
    }
    return index;
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await link(from, to).catch(() => copyFile(from, to));
}
