// The folders of one build. As root, the work folder is a filesystem of its own (a sparse ext4 image on a
// loop device) of the build's disk size: a build that fills it fails with "no space" and the host's disk is
// untouched, hard links cannot reach host files, and unmounting removes every byte. Without root it is a
// plain folder and disk use is not bounded (the builder says so in the log).
import { chmod, chown, lstat, mkdir, rename, rm, statfs } from "node:fs/promises";
import path from "node:path";
import { type RunAs, runProcess } from "../process.ts";
import {
  BUILD_MOUNT_OPTIONS,
  isMounted,
  keptMount,
  moveMount,
  unmount,
  unmountAndRemove,
  unmountUnder,
} from "./mounts.ts";

/** Where the work filesystem appears inside the jail: one fixed path, so absolute paths in caches stay right. */
export const JAIL_ROOT = "/build";

export interface Workspace {
  /** The work folder on the host: `src` (checkout), `home`, `tmp`, all owned by the build user. */
  host: string;
  /** The same folder as jailed processes see it. */
  inside: string;
  /** Owned by the builder, unreadable by builds: compressed variants, archives, route files. */
  private: string;
  /** The size of the work filesystem, or null when disk use is not bounded. */
  diskBytes: number | null;
  /**
   * True when the workspace is a kept one (the build cache, docs/builder.md): its `src` is the previous
   * build's, and nothing in it may be trusted by privileged code, so the jail tidies it (`tidyKept`).
   */
  reused: boolean;
  /** True when less than 1 % (or 1 MB) of the work filesystem is left. */
  full(): Promise<boolean>;
  /**
   * Removes it, or with `keepAs` moves its image (or its folder) there for a later build. A mounted image
   * stays mounted, at `keptMount(keepAs)`, so the next build finds its files in the kernel's caches.
   */
  remove(options?: { keepAs?: string }): Promise<void>;
}

/** Where a kept workspace is put for a slot: its image when mounted, else its folder. */
export interface WorkspaceSlot {
  image: string | null;
  folder: string;
}

const SYSTEM = { cwd: "/", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } };

/**
 * Makes an empty workspace `name` under `workDir`, mounting a filesystem of `diskBytes` on it when
 * `mount` is true. `inside` is where the jail shows it (the host path when builds run unjailed).
 */
export async function createWorkspace(input: {
  workDir: string;
  name: string;
  user: RunAs | undefined;
  diskBytes: number;
  mount: boolean;
  inside: string | null;
  /** Puts a kept workspace in the slot; false when there is none to reuse. */
  reuse?: (slot: WorkspaceSlot) => Promise<boolean>;
}): Promise<Workspace> {
  const { workDir, name, user } = input;
  await mkdir(workDir, { recursive: true });
  // Others may pass through to their own folder but not list the work folder.
  await chmod(workDir, 0o711);
  const host = path.join(workDir, name);
  const privateRoot = path.join(workDir, ".private");
  const privateDir = path.join(privateRoot, name);
  const image = path.join(privateRoot, `${name}.img`);
  await unmountUnder(host);
  await rm(host, { recursive: true, force: true });
  await rm(privateDir, { recursive: true, force: true });
  await rm(image, { force: true });
  await mkdir(privateRoot, { recursive: true, mode: 0o700 });
  await chmod(privateRoot, 0o700);
  await mkdir(privateDir, { mode: 0o700 });
  if (input.mount) await mkdir(host, { mode: 0o700 });
  let reused = input.reuse ? await input.reuse({ image: input.mount ? image : null, folder: host }) : false;
  if (!input.mount && !reused) await mkdir(host, { mode: 0o700 });
  // A kept workspace arrives still mounted in the slot, or as an image to check and mount.
  let mounted = input.mount && reused && (await isMounted(host));
  if (input.mount && reused && !mounted) {
    mounted = await mountKept(image, host);
    reused = mounted;
  }
  if (input.mount && !mounted) mounted = await mountImage(image, host, input.diskBytes);
  if (reused) {
    // Files of another slot's user become this one's. `chown -R` never follows a link, and no build
    // process is alive to swap one in; everything below the top is left to the jail to tidy.
    if (user && (await lstat(host)).uid !== user.uid) {
      const owned = await runProcess("chown", ["-R", "-P", `${user.uid}:${user.gid}`, "--", host], SYSTEM);
      if (owned.code !== 0) throw new Error(`could not give the kept workspace to the build user`);
    }
    await chmod(host, 0o700);
  } else {
    for (const dir of ["src", "home", "tmp"]) await mkdir(path.join(host, dir), { mode: 0o700 });
    if (user) {
      for (const dir of [host, ...["src", "home", "tmp"].map((d) => path.join(host, d))]) {
        await chown(dir, user.uid, user.gid);
      }
    }
    await rm(path.join(host, "lost+found"), { recursive: true, force: true });
  }
  return {
    host,
    inside: input.inside ?? host,
    private: privateDir,
    diskBytes: mounted ? input.diskBytes : null,
    reused,
    async full() {
      if (!mounted) return false;
      const stats = await statfs(host).catch(() => null);
      if (!stats) return false;
      const free = stats.bavail * stats.bsize;
      return free < Math.max(1024 * 1024, (stats.blocks * stats.bsize) / 100);
    },
    async remove(options = {}) {
      const { keepAs } = options;
      // Blocks the build freed go back to the host, so a kept image holds only what it still uses.
      // Blocks freed in the running journal transaction are not trimmed: sync the filesystem first.
      if (mounted && keepAs) {
        await runProcess("sync", ["-f", host], SYSTEM);
        await runProcess("fstrim", [host], SYSTEM);
      }
      let stillMounted = false;
      if (mounted && keepAs) {
        const target = keptMount(keepAs);
        await unmountAndRemove(target);
        await mkdir(target, { mode: 0o700 });
        stillMounted = await moveMount(host, target);
        if (!stillMounted) await unmountAndRemove(target);
      }
      if (mounted && !stillMounted) await unmount(host);
      if (keepAs) await rename(mounted ? image : host, keepAs);
      await rm(host, { recursive: true, force: true });
      await rm(privateDir, { recursive: true, force: true });
      await rm(image, { force: true });
    },
  };
}

/** Makes a sparse ext4 image and mounts it (nosuid, nodev); false when this machine cannot. */
async function mountImage(image: string, target: string, bytes: number): Promise<boolean> {
  const size = `${Math.max(64, Math.floor(bytes / (1024 * 1024)))}M`;
  const made = await runProcess("truncate", ["-s", size, image], SYSTEM);
  if (made.code !== 0) return false;
  // A journal: without one, ext4 does not reuse an inode freed in the last minute (five while its table
  // block is unwritten) and checks each such inode for every file it makes, so making files after deleting
  // many (a reinstall, a kept workspace's tidy, a build emptying its output) took 2.6× as long
  // (docs/builder.md, "Where install time goes"). Lazy init: the image is a new sparse file, already all
  // zeros, so formatting still takes milliseconds.
  const formatted = await runProcess(
    "mkfs.ext4",
    ["-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1", image],
    SYSTEM,
  );
  if (formatted.code !== 0) {
    await rm(image, { force: true });
    return false;
  }
  const mounted = await runProcess("mount", ["-o", `loop,${BUILD_MOUNT_OPTIONS}`, image, target], SYSTEM);
  if (mounted.code !== 0) {
    await rm(image, { force: true });
    return false;
  }
  return true;
}

/** Mounts a kept image after a check (`e2fsck -p`); false, with the image gone, when it is damaged. */
async function mountKept(image: string, target: string): Promise<boolean> {
  const checked = await runProcess("e2fsck", ["-p", image], SYSTEM);
  // 0: clean, 1: errors fixed. Anything else, or a failed mount, and the build starts from an empty disk.
  // An image kept before builds' filesystems had a journal gets one (see mountImage); a no-op otherwise.
  const fine =
    (checked.code === 0 || checked.code === 1) &&
    (await runProcess("tune2fs", ["-O", "has_journal", image], SYSTEM)).code === 0 &&
    (await runProcess("mount", ["-o", `loop,${BUILD_MOUNT_OPTIONS}`, image, target], SYSTEM)).code === 0;
  if (!fine) await rm(image, { force: true });
  return fine;
}
