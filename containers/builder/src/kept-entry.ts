// The files of one kept workspace (its image or folder, its mount, its metadata) and what is done to them.
import { lstat, rename, rm } from "node:fs/promises";
import { runProcess } from "./process.ts";
import { isMounted, keptMount, moveMount, thaw, unmount, unmountAndRemove } from "./sandbox/mounts.ts";
import type { WorkspaceSlot } from "./sandbox/workspace.ts";

const SYSTEM = { cwd: "/", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } };

/**
 * Moves a kept workspace into a build's slot: its image (still mounted, when it is) or its folder. False
 * when another build took it first.
 */
export async function moveInto(body: string, slot: WorkspaceSlot): Promise<boolean> {
  const mount = keptMount(body);
  const wasMounted = slot.image !== null && (await isMounted(mount));
  const moved = await rename(body, slot.image ?? slot.folder).then(
    () => true,
    () => false,
  );
  if (!moved) return false;
  // Unmounted, the image in the slot is checked and mounted like any kept image.
  // A builder killed while it copied the image (`whileFrozen`) left it frozen: writes would hang.
  if (wasMounted) await thaw(mount);
  if (wasMounted && !(await moveMount(mount, slot.folder))) await unmount(mount);
  await unmountAndRemove(mount);
  return true;
}

export async function release(body: string): Promise<void> {
  await unmountAndRemove(keptMount(body));
}

export async function removeEntry(entry: { body: string; metaFile: string }): Promise<void> {
  await unmountAndRemove(keptMount(entry.body));
  await rm(entry.metaFile, { force: true });
  await rm(entry.body, { recursive: true, force: true });
}

/** Bytes a kept image or folder takes on disk (an image is sparse: its allocated blocks, not its size). */
export async function allocated(body: string): Promise<number> {
  const stats = await lstat(body).catch(() => null);
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.blocks * 512;
  let counted = 0;
  await runProcess("du", ["-s", "-B1", "--", body], {
    ...SYSTEM,
    onLine: (stream, text) => {
      if (stream === "stdout") counted = Number(/^(\d+)/.exec(text)?.[1] ?? 0);
    },
  });
  return counted;
}
