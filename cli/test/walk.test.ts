import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashFile, hashFiles } from "../src/hash";
import { walkFolder } from "../src/walk";

let base: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), "miaobu-walk-"));
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function put(relative: string, content: string | Buffer) {
  const file = path.join(base, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

describe("hashFile", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["hello\n", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"],
  ])("hashes %j to its known SHA-256", async (content, expected) => {
    await put("f", content);
    expect(await hashFile(path.join(base, "f"))).toEqual({
      hash: expected,
      size: Buffer.byteLength(content),
    });
  });

  it("streams a file larger than one read chunk", async () => {
    // One million 'a': a standard SHA-256 test vector.
    await put("big", Buffer.alloc(1_000_000, "a"));
    const { hash, size } = await hashFile(path.join(base, "big"));
    expect(hash).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    expect(size).toBe(1_000_000);
  });

  it("hashes many files with limited concurrency, keeping the order", async () => {
    const files = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        await put(`f${i}`, String(i));
        return { path: `f${i}`, absolute: path.join(base, `f${i}`), size: String(i).length };
      }),
    );
    let seen = 0;
    const hashed = await hashFiles(files, { concurrency: 3, onFile: () => (seen += 1) });
    expect(seen).toBe(30);
    expect(hashed.map((f) => f.path)).toEqual(files.map((f) => f.path));
    expect(hashed[0]?.hash).toBe("5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9");
  });
});

describe("walkFolder", () => {
  it("lists files with /-separated relative paths, sorted, skipping .git, node_modules, .DS_Store", async () => {
    await put("index.html", "<h1>hi</h1>");
    await put("assets/app.js", "x");
    await put("assets/deep/er/logo.svg", "<svg/>");
    await put(".well-known/security.txt", "contact");
    await put(".git/HEAD", "ref");
    await put("node_modules/pkg/index.js", "x");
    await put("assets/node_modules/y.js", "y");
    await put(".DS_Store", "junk");
    await put("assets/.DS_Store", "junk");
    await put("_headers", "/*\n  X-Frame-Options: DENY");
    const { files, skipped } = await walkFolder(base);
    expect(files.map((f) => f.path)).toEqual([
      ".well-known/security.txt",
      "_headers",
      "assets/app.js",
      "assets/deep/er/logo.svg",
      "index.html",
    ]);
    expect(files.find((f) => f.path === "index.html")?.size).toBe(11);
    expect(skipped).toEqual([]);
  });

  it("follows links inside the folder and skips links outside it", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "miaobu-outside-"));
    try {
      await writeFile(path.join(outside, "secret"), "key");
      await put("site/real.txt", "real");
      await put("site/dir/inner.txt", "inner");
      await symlink(path.join(base, "site", "real.txt"), path.join(base, "site", "alias.txt"));
      await symlink(path.join(base, "site", "dir"), path.join(base, "site", "dir-link"));
      await symlink(path.join(outside, "secret"), path.join(base, "site", "leak"));
      await symlink(outside, path.join(base, "site", "leak-dir"));
      await symlink(path.join(base, "site"), path.join(base, "site", "dir", "loop"));
      await symlink(path.join(base, "site", "gone"), path.join(base, "site", "broken"));
      const { files, skipped } = await walkFolder(path.join(base, "site"));
      expect(files.map((f) => f.path)).toEqual([
        "alias.txt",
        "dir-link/inner.txt",
        "dir/inner.txt",
        "real.txt",
      ]);
      expect(skipped).toEqual([
        { path: "broken", reason: "broken-link" },
        { path: "dir-link/loop", reason: "loop" },
        { path: "dir/loop", reason: "loop" },
        { path: "leak", reason: "outside" },
        { path: "leak-dir", reason: "outside" },
      ]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("refuses a missing path, a file, and a folder with nothing to deploy", async () => {
    await expect(walkFolder(path.join(base, "missing"))).rejects.toThrow(/missing does not exist$/);
    await put("file.txt", "x");
    await expect(walkFolder(path.join(base, "file.txt"))).rejects.toThrow(/is not a folder/);
    await put("empty/.git/HEAD", "ref");
    await put("empty/.DS_Store", "junk");
    await mkdir(path.join(base, "empty", "sub"));
    await expect(walkFolder(path.join(base, "empty"))).rejects.toThrow(/has no files to deploy/);
  });
});
