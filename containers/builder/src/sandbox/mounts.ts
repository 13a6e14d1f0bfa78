// Mounts of build filesystems: taking them down, and moving a mounted one between a build's slot and the
// build cache without unmounting it, so the kernel's caches of its files survive from one build to the next.
import { readFile, rmdir } from "node:fs/promises";
import path from "node:path";
import { runProcess } from "../process.ts";

const SYSTEM = { cwd: "/", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } };

/** The options every build filesystem is mounted with, wherever it is mounted. */
export const BUILD_MOUNT_OPTIONS = "nosuid,nodev,noatime";

/** Where a kept workspace's image (`body`) stays mounted between builds. */
export function keptMount(body: string): string {
  return `${body}.mnt`;
}

/** The mount targets at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile("/proc/self/mounts", "utf8").catch(() => "");
  const root = path.resolve(dir);
  return mounts
    .split("\n")
    .map((line) => (line.split(" ")[1] ?? "").replaceAll("\\040", " "))
    .filter((target) => target === root || target.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

/** True when a filesystem is mounted exactly at `dir`. */
export async function isMounted(dir: string): Promise<boolean> {
  const root = path.resolve(dir);
  return (await mountsUnder(root)).includes(root);
}

export async function unmount(target: string): Promise<void> {
  const result = await runProcess("umount", [target], SYSTEM);
  // Every jailed process is gone by now; a lazy unmount covers a scanner still holding a file open.
  if (result.code !== 0) await runProcess("umount", ["-l", target], SYSTEM);
}

/**
 * Unmounts every build filesystem at or under `dir`. A builder killed mid-build leaves its filesystem
 * mounted: the builder takes such mounts down before reusing a folder, and whoever removes a builder's
 * folder (the local platform when it stops) first.
 */
export async function unmountUnder(dir: string): Promise<void> {
  for (const target of await mountsUnder(dir)) await unmount(target);
}

/**
 * Unmounts `dir` if something is mounted there, then removes the (now empty) folder. Never removes
 * recursively: were the unmount to fail, the files of the filesystem would be deleted through it.
 */
export async function unmountAndRemove(dir: string): Promise<void> {
  if (await isMounted(dir)) await unmount(dir);
  await rmdir(dir).catch(() => undefined);
}

/**
 * Moves the filesystem mounted at `from` to the existing empty folder `to`, still mounted. Where the
 * mount cannot move (a shared parent mount), it is bound at `to` with the build options and unmounted
 * from `from`: the filesystem stays mounted all along. False, with nothing changed, when neither works.
 */
export async function moveMount(from: string, to: string): Promise<boolean> {
  if ((await runProcess("mount", ["--move", from, to], SYSTEM)).code === 0) return true;
  const bound = await runProcess("mount", ["--bind", "-o", BUILD_MOUNT_OPTIONS, from, to], SYSTEM);
  if (bound.code !== 0) return false;
  await unmount(from);
  return true;
}

/**
 * Runs `copy` while the filesystem mounted at `dir` is frozen (`fsfreeze`), so a copy of its image is
 * consistent; false when it cannot be frozen.
 */
export async function whileFrozen(dir: string, copy: () => Promise<boolean>): Promise<boolean> {
  if ((await runProcess("fsfreeze", ["--freeze", dir], SYSTEM)).code !== 0) return false;
  try {
    return await copy();
  } finally {
    await thaw(dir);
  }
}

/** Unfreezes the filesystem mounted at `dir`; nothing when it is not frozen. */
export async function thaw(dir: string): Promise<void> {
  await runProcess("fsfreeze", ["--unfreeze", dir], SYSTEM);
}
