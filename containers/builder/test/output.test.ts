// Hashing and compressing a build's output: variants for exactly the files the router serves compressed,
// each content compressed once, largest first and never more at once than asked, and no work left running
// after a failure or an abort.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { wantsVariants } from "@miaobu/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Compress, collectOutput, hashAndCompress } from "../src/output.ts";

let dir: string;
let blobDir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "miaobu-output-"));
  blobDir = path.join(dir, "blobs");
  await mkdir(path.join(dir, "out"));
  await mkdir(blobDir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function site(files: Record<string, string | Buffer>) {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, "out", name)), { recursive: true });
    await writeFile(path.join(dir, "out", name), content);
  }
  const output = await collectOutput(dir, dir, "out", { maxFiles: 100, maxFileBytes: 1024 * 1024 });
  return output.files;
}

/** A compressor the test releases call by call, recording what it was asked. */
function heldCompressor() {
  const calls: { size: number; encoding: string; release: () => void }[] = [];
  let running = 0;
  let most = 0;
  let arrived: () => void = () => {};
  const compress: Compress = async (bytes, encoding) => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => {
      calls.push({ size: bytes.length, encoding, release: resolve });
      arrived();
    });
    running--;
    return bytes.subarray(0, 1);
  };
  /** Resolves once `count` calls have arrived. */
  const reached = async (count: number) => {
    while (calls.length < count) await new Promise<void>((resolve) => (arrived = resolve));
  };
  return { compress, calls, reached, most: () => most };
}

const text = (size: number, seed: string) =>
  `${seed} `.repeat(Math.ceil(size / (seed.length + 1))).slice(0, size);

describe("hashAndCompress", () => {
  it("makes br and gzip variants for exactly the files wantsVariants names, each only when smaller", async () => {
    const page = text(5000, "<p>hello</p>");
    const files = await site({
      "index.html": page,
      "assets/app.js": text(4000, "console.log(1);"),
      "assets/style.css": text(3000, "a{color:red}"),
      "data.json": text(2000, '{"a":1}'),
      "logo.svg": text(2000, "<path d='M0 0'/>"),
      // Typed by the path, as the manifest types it: repetitive bytes in a JPEG get no variants.
      "photo.jpg": text(5000, "jpeg"),
      "font.woff2": text(5000, "font"),
      _redirects: text(2000, "/a /b 301\n"),
      "tiny.js": "x()",
      // Incompressible: neither variant would be smaller.
      "noise.js": randomBytes(4000),
    });
    const log: string[] = [];
    const { manifest, blobs, summary } = await hashAndCompress(files, blobDir, { log: (t) => log.push(t) });

    const varied = manifest.filter((file) => file.variants).map((file) => file.path);
    expect(varied).toEqual(["assets/app.js", "assets/style.css", "data.json", "index.html", "logo.svg"]);
    for (const file of manifest) {
      const expected = wantsVariants(file.path, file.size) && file.path !== "noise.js";
      expect(Boolean(file.variants), file.path).toBe(expected);
    }
    const index = manifest.find((file) => file.path === "index.html");
    const br = blobs.get(index?.variants?.br?.hash ?? "");
    const gz = blobs.get(index?.variants?.gzip?.hash ?? "");
    if (!br || !gz) throw new Error("index.html has no variants");
    expect(brotliDecompressSync(await readFile(br.file)).toString()).toBe(page);
    expect(gunzipSync(await readFile(gz.file)).toString()).toBe(page);
    expect(br.size).toBeLessThan(page.length);
    // Every file and kept variant is a blob; nothing else is.
    expect(blobs.size).toBe(manifest.length + 2 * varied.length);
    expect(summary).toEqual({ files: 10, compressed: 6, variants: 10, duplicates: 0, reused: 0 });
    expect(log).toEqual(["10 files, 6 compressed, 10 variants kept"]);
  });

  it("compresses a content once however many files hold it, and only for files whose type wants it", async () => {
    const same = text(3000, "export const x = 1;");
    const files = await site({ "a.js": same, "copy/b.js": same, "c.txt": same, "d.bin": same });
    let compressions = 0;
    const compress: Compress = async (bytes) => {
      compressions++;
      return bytes.subarray(0, 10);
    };
    const { manifest, summary } = await hashAndCompress(files, blobDir, { compress });

    expect(compressions).toBe(2);
    expect(summary).toMatchObject({ compressed: 1, duplicates: 2, variants: 2 });
    const [a, b, c, d] = ["a.js", "copy/b.js", "c.txt", "d.bin"].map((p) =>
      manifest.find((f) => f.path === p),
    );
    expect(a?.variants).toBeDefined();
    expect(b?.variants).toEqual(a?.variants);
    expect(c?.variants).toEqual(a?.variants);
    expect(d?.variants).toBeUndefined();
  });

  const sizes = {
    "small.js": text(1000, "s"),
    "large.js": text(9000, "l"),
    "medium.js": text(5000, "m"),
    "huge.css": text(20_000, "h"),
    "photo.png": randomBytes(50_000),
  };

  it("hands every file's hash to onHashed before it compresses anything, and refuses a file changed since", async () => {
    const files = await site({ "a.js": text(3000, "a"), "b.png": "png", "c.css": text(1000, "c") });
    const events: string[] = [];
    const compress: Compress = async (bytes) => {
      events.push(`compress ${bytes.length}`);
      return bytes.subarray(0, 1);
    };
    const { manifest } = await hashAndCompress(files, blobDir, {
      compress,
      onHashed: (hashed, blobs) => {
        events.push(`hashed ${hashed.map((f) => f.path).join(",")}`);
        expect(hashed.every((f) => f.variants === undefined && blobs.has(f.hash))).toBe(true);
      },
    });
    expect(events[0]).toBe("hashed a.js,b.png,c.css");
    expect(events.slice(1)).toHaveLength(4);
    expect(manifest.find((f) => f.path === "a.js")?.variants?.br).toBeDefined();

    const changed = hashAndCompress(files, blobDir, {
      compress,
      onHashed: () => writeFileSync(path.join(dir, "out", "a.js"), text(3000, "z")),
    });
    await expect(changed).rejects.toThrow("a.js changed after it was hashed");
  });

  it("compresses the largest files first", async () => {
    const files = await site(sizes);
    const order: number[] = [];
    const compress: Compress = async (bytes, encoding) => {
      if (encoding === "br") order.push(bytes.length);
      return bytes.subarray(0, 1);
    };
    await hashAndCompress(files, blobDir, { concurrency: 1, compress });
    expect(order).toEqual([20_000, 9000, 5000, 1000]);
  });

  it("never compresses more than `concurrency` files at once", async () => {
    const files = await site(sizes);
    const held = heldCompressor();
    const done = hashAndCompress(files, blobDir, { concurrency: 2, compress: held.compress });
    // The two largest are taken, each starting with brotli; nothing else starts until one is released.
    await held.reached(2);
    expect(held.calls.map((c) => c.size).sort((a, b) => a - b)).toEqual([9000, 20_000]);
    for (let next = 0; next < 8; next++) {
      await held.reached(next + 1);
      held.calls[next]?.release();
    }
    await done;
    expect(held.calls).toHaveLength(8);
    expect(held.most()).toBe(2);
  });

  it("starts no new work once aborted, and throws the reason after the work under way has settled", async () => {
    const files = await site({ "a.js": text(3000, "a"), "b.js": text(2000, "b"), "c.js": text(1000, "c") });
    const held = heldCompressor();
    const abort = new AbortController();
    const done = hashAndCompress(files, blobDir, {
      concurrency: 1,
      compress: held.compress,
      signal: abort.signal,
    });
    let settled = false;
    void done.catch(() => (settled = true));
    await held.reached(1);
    abort.abort(new Error("canceled"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    held.calls[0]?.release();
    await expect(done).rejects.toThrow("canceled");
    expect(held.calls).toHaveLength(1);
  });

  it("fails on a file swapped for a link after the output was checked, and starts nothing after", async () => {
    const files = await site({
      "a.js": text(3000, "a"),
      "b.js": text(2000, "b"),
      "c.js": text(1000, "c"),
      "secret.txt": "root only",
    });
    await unlink(path.join(dir, "out", "b.js"));
    await symlink(path.join(dir, "out", "secret.txt"), path.join(dir, "out", "b.js"));
    const sizes: number[] = [];
    const compress: Compress = async (bytes) => {
      sizes.push(bytes.length);
      return bytes.subarray(0, 1);
    };
    const done = hashAndCompress(files, blobDir, { concurrency: 1, compress });
    await expect(done).rejects.toThrow(/ELOOP|symbolic link/);
    // b.js was refused when opened to be hashed, before anything was compressed.
    expect(sizes).toEqual([]);
  });
});
