// Kept workspaces as plain folders: which one a build gets, what is stale, and eviction at the limits.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KeptWorkspaces } from "../src/kept-workspaces.ts";
import { isMounted, keptMount, unmountUnder } from "../src/sandbox/mounts.ts";

const MB = 1024 * 1024;
let dir: string;
let clock = 1_000;
const now = () => clock;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "miaobu-kept-"));
  clock = 1_000;
});
afterEach(async () => {
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
});

/** Keeps a workspace of `mb` megabytes for a project's branch, as a build does when it is ready. */
async function keep(kept: KeptWorkspaces, projectId: string, branch: string, mb = 1): Promise<void> {
  const source = path.join(dir, `slot-${projectId}-${branch}`);
  await mkdir(source, { recursive: true });
  await writeFile(path.join(source, "data"), Buffer.alloc(mb * MB, 1));
  const target = await kept.place(projectId, branch);
  await rename(source, target);
  clock += 1_000;
  await kept.commit({ projectId, branch, nodeMajor: "22", packageManager: "npm", diskBytes: null });
}

const want = (branch: string, extra: { clearedAt?: number | null; diskBytes?: number | null } = {}) => ({
  projectId: "prj_a",
  branch,
  productionBranch: "main",
  clearedAt: extra.clearedAt ?? null,
  diskBytes: extra.diskBytes ?? null,
});

describe("kept workspaces", () => {
  const limits = { projectBytes: 100 * MB, totalBytes: 100 * MB };

  it("hands a branch its own (moved), else a copy of production's, else nothing", async () => {
    const kept = new KeptWorkspaces(path.join(dir, "kept"), limits, now);
    expect(await kept.take(want("main"), { image: null, folder: path.join(dir, "s1") })).toBeNull();
    await keep(kept, "prj_a", "main");
    const own = await kept.take(want("main"), { image: null, folder: path.join(dir, "s2") });
    expect(own?.from).toBe("branch");
    expect(await readdir(path.join(dir, "s2"))).toEqual(["data"]);
    // Taken: a second build of the branch at once finds none.
    expect(await kept.take(want("main"), { image: null, folder: path.join(dir, "s3") })).toBeNull();

    await keep(kept, "prj_a", "main");
    const copy = await kept.take(want("feature"), { image: null, folder: path.join(dir, "s4") });
    expect(copy?.from).toBe("production");
    expect(await readdir(path.join(dir, "s4"))).toEqual(["data"]);
    expect((await kept.take(want("main"), { image: null, folder: path.join(dir, "s5") }))?.from).toBe(
      "branch",
    );
  });

  it("makes a build of the branch wait for a workspace that is being kept right now", async () => {
    const kept = new KeptWorkspaces(path.join(dir, "kept"), limits, now);
    const arrived = kept.expect("prj_a", "main");
    let settled = false;
    const taking = kept.take(want("main"), { image: null, folder: path.join(dir, "s") }).then((taken) => {
      settled = true;
      return taken;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await keep(kept, "prj_a", "main");
    arrived();
    expect((await taking)?.from).toBe("branch");
  });

  it("never hands out a cache saved before a clear, or made for another disk size", async () => {
    const kept = new KeptWorkspaces(path.join(dir, "kept"), limits, now);
    await keep(kept, "prj_a", "main");
    expect(
      await kept.take(want("main", { clearedAt: clock + 1 }), { image: null, folder: path.join(dir, "s") }),
    ).toBeNull();
    // …and it is gone for good.
    expect(await kept.projectBytes("prj_a")).toBe(0);
    await keep(kept, "prj_a", "main");
    expect(
      await kept.take(want("main", { diskBytes: 64 * MB }), { image: null, folder: path.join(dir, "t") }),
    ).toBeNull();
  });

  it("stamps a kept workspace with its build's start, so a clear during the build clears it too", async () => {
    const kept = new KeptWorkspaces(path.join(dir, "kept"), limits, now);
    const started = clock;
    await mkdir(await kept.place("prj_a", "main"));
    const clearedAt = started + 500;
    clock += 1_000;
    const meta = {
      projectId: "prj_a",
      branch: "main",
      nodeMajor: "22",
      packageManager: "npm",
      diskBytes: null,
    };
    await kept.commit({ ...meta, savedAt: started });
    expect(
      await kept.take(want("main", { clearedAt }), { image: null, folder: path.join(dir, "s") }),
    ).toBeNull();
  });

  it("evicts a project's least recently used branches at its limit, and other projects' at the total", async () => {
    const kept = new KeptWorkspaces(
      path.join(dir, "kept"),
      { projectBytes: 5 * MB, totalBytes: 9 * MB },
      now,
    );
    await keep(kept, "prj_a", "main", 2);
    await keep(kept, "prj_a", "one", 2);
    await keep(kept, "prj_a", "two", 2);
    // 6 MB > 5 MB: the oldest (main) went.
    expect(await kept.take(want("main"), { image: null, folder: path.join(dir, "m") })).toBeNull();
    expect(await kept.projectBytes("prj_a")).toBeGreaterThanOrEqual(4 * MB);
    expect(await kept.projectBytes("prj_a")).toBeLessThanOrEqual(5 * MB);
    await keep(kept, "prj_b", "main", 3);
    await keep(kept, "prj_c", "main", 3);
    // 10 MB > 9 MB in all: the least recently used of all (prj_a's "one") went, the newest stayed.
    expect(
      await kept.take(
        { ...want("one"), productionBranch: "one" },
        { image: null, folder: path.join(dir, "o") },
      ),
    ).toBeNull();
    expect(await kept.projectBytes("prj_c")).toBeGreaterThanOrEqual(3 * MB);
  });

  it("keeps nothing of a workspace larger than a project may hold", async () => {
    const kept = new KeptWorkspaces(
      path.join(dir, "kept"),
      { projectBytes: 1 * MB, totalBytes: 9 * MB },
      now,
    );
    await keep(kept, "prj_a", "main", 2);
    expect(await kept.projectBytes("prj_a")).toBe(0);
  });
});

describe.skipIf(process.getuid?.() !== 0)("kept images left mounted", () => {
  /** Keeps an 8 MB ext4 image for a branch, mounted where a ready build leaves it. */
  async function keepMounted(kept: KeptWorkspaces, branch: string): Promise<string> {
    const source = path.join(dir, `img-${branch}`);
    execFileSync("truncate", ["-s", "8M", source]);
    execFileSync("mkfs.ext4", ["-q", "-F", source]);
    const target = await kept.place("prj_a", branch);
    await rename(source, target);
    await mkdir(keptMount(target));
    execFileSync("mount", ["-o", "loop,nosuid,nodev,noatime", target, keptMount(target)]);
    await writeFile(path.join(keptMount(target), "data"), branch);
    clock += 1_000;
    await kept.commit({
      projectId: "prj_a",
      branch,
      nodeMajor: "22",
      packageManager: "npm",
      diskBytes: 8 * MB,
    });
    return target;
  }

  it("stay mounted up to the limit, most recently used first, move into a slot mounted, and come down on release", async () => {
    const kept = new KeptWorkspaces(
      path.join(dir, "kept"),
      { projectBytes: 100 * MB, totalBytes: 100 * MB, mounted: 2 },
      now,
    );
    const one = await keepMounted(kept, "one");
    const two = await keepMounted(kept, "two");
    const three = await keepMounted(kept, "three");
    expect([
      await isMounted(keptMount(one)),
      await isMounted(keptMount(two)),
      await isMounted(keptMount(three)),
    ]).toEqual([false, true, true]);

    // Taken mounted: the slot's folder is the filesystem, and the kept mount is gone.
    const slot = { image: path.join(dir, "slot.img"), folder: path.join(dir, "slot") };
    await mkdir(slot.folder);
    // Left frozen by a builder killed mid-copy: the build gets it thawed (a write would hang otherwise).
    execFileSync("fsfreeze", ["--freeze", keptMount(three)]);
    expect((await kept.take({ ...want("three"), diskBytes: 8 * MB }, slot))?.from).toBe("branch");
    expect(await isMounted(slot.folder)).toBe(true);
    expect(await readFile(path.join(slot.folder, "data"), "utf8")).toBe("three");
    await writeFile(path.join(slot.folder, "written"), "by the next build");
    expect(await isMounted(keptMount(three))).toBe(false);
    execFileSync("umount", [slot.folder]);

    // A new branch gets a consistent copy of a mounted production image, frozen while it is copied.
    const copy = { image: path.join(dir, "copy.img"), folder: path.join(dir, "copy") };
    await keepMounted(kept, "main");
    expect((await kept.take({ ...want("feature"), diskBytes: 8 * MB }, copy))?.from).toBe("production");
    // e2fsck exits 0 only for a clean filesystem (execFileSync throws otherwise).
    expect(() => execFileSync("e2fsck", ["-n", "-f", copy.image], { stdio: "ignore" })).not.toThrow();

    await kept.release();
    expect(await isMounted(keptMount(two))).toBe(false);
    expect(await readdir(path.dirname(two))).not.toContain(path.basename(keptMount(two)));
  });
});
