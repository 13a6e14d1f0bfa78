// folderFiles reads a checkout that may hold anything: links out of it and special files read as missing.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectProject } from "../src/index.ts";
import { folderFiles } from "../src/node.ts";

let base: string;
let repo: string;
const secret = "root:$y$secret-hash:19000:0:99999:7:::";

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "detect-files-"));
  repo = path.join(base, "repo");
  await mkdir(path.join(repo, "app"), { recursive: true });
  await writeFile(path.join(base, "outside.txt"), secret);
  await writeFile(
    path.join(repo, "package.json"),
    JSON.stringify({ name: "x", scripts: { build: "vite build" } }),
  );
  await writeFile(path.join(repo, "inside.txt"), "20\n");
  await symlink(path.join(base, "outside.txt"), path.join(repo, ".nvmrc"));
  await symlink("../outside.txt", path.join(repo, ".node-version"));
  await symlink("inside.txt", path.join(repo, "app", "..inside"));
  await symlink("/proc/self/environ", path.join(repo, "app", ".nvmrc"));
  await symlink(path.join(base, "outside.txt"), path.join(repo, "app", "package.json"));
  execFileSync("mkfifo", [path.join(repo, "fifo")]);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("folderFiles", () => {
  it("reads files inside the folder", async () => {
    expect(await folderFiles(repo).read("inside.txt")).toBe("20\n");
    expect(await folderFiles(repo).exists("package.json")).toBe(true);
  });

  it("reads a link that stays inside the folder", async () => {
    await symlink("inside.txt", path.join(repo, "link-inside"));
    expect(await folderFiles(repo).read("link-inside")).toBe("20\n");
  });

  it("treats paths and links that leave the folder as missing", async () => {
    const files = folderFiles(repo);
    expect(await files.read("../outside.txt")).toBeNull();
    expect(await files.read(".nvmrc")).toBeNull();
    expect(await files.read(".node-version")).toBeNull();
    expect(await files.exists(".nvmrc")).toBe(false);
    expect(await folderFiles(path.join(repo, "app")).read(".nvmrc")).toBeNull();
  });

  it("does not block on a FIFO and reads it as missing", async () => {
    expect(await folderFiles(repo).read("fifo")).toBeNull();
  });

  it("never puts a linked file's content into the detection", async () => {
    const detection = await detectProject(folderFiles(path.join(repo, "app")), {
      repoFiles: folderFiles(repo),
    });
    expect(JSON.stringify(detection)).not.toContain("secret-hash");
    expect(detection.nodeVersion).toBeNull();
  });
});
