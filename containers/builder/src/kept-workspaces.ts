// The build cache on one machine: a build's whole workspace (its ext4 image, or its folder when builds are
// not mounted) is kept after it succeeds, per project and branch, and the next build of that branch starts
// in it. Restoring is a rename, so a warm build pays nothing for its cache, however large. The most recently
// used images stay mounted (`keptMount`), so their files are still in the kernel's caches when the next
// build reads them: a build step reading a freshly mounted image took 1.5 s longer (docs/builder.md).
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { allocated, moveInto, release, removeEntry } from "./kept-entry.ts";
import { runProcess } from "./process.ts";
import { isMounted, keptMount, unmountAndRemove, whileFrozen } from "./sandbox/mounts.ts";
import type { WorkspaceSlot } from "./sandbox/workspace.ts";

/** What is known about a kept workspace, beside it as JSON. */
export interface KeptMeta {
  projectId: string;
  branch: string;
  /** The Node major and package manager that filled its node_modules. */
  nodeMajor: string;
  packageManager: string;
  /** The install key of its node_modules (`installKey`), when its install may be skipped. */
  install?: string | null;
  /** The size of its filesystem (a kept image of another size is not reused). */
  diskBytes: number | null;
  savedAt: number;
  /** Last time a build started from it (eviction removes the least recently used first). */
  usedAt: number;
}

export interface KeptLimits {
  /** The most one project's kept workspaces may hold on disk. */
  projectBytes: number;
  /** The most all kept workspaces may hold. */
  totalBytes: number;
  /** How many kept images stay mounted (the most recently used); 8 by default. */
  mounted?: number;
}

/** Which kept workspace a build wants. */
export interface KeptRequest {
  projectId: string;
  branch: string;
  productionBranch: string;
  /** Caches saved before this (ms) were cleared by the user. */
  clearedAt: number | null;
  diskBytes: number | null;
}

/** How a build's workspace came from the cache. */
export interface KeptTaken {
  meta: KeptMeta;
  /** `branch`: the branch's own, moved; `production`: a copy of the production branch's. */
  from: "branch" | "production";
}

const ID = /^[\w-]{1,100}$/;
const SYSTEM = { cwd: "/", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } };

/** The kept workspaces under `root` (a folder only the builder can read, on the work folder's disk). */
export class KeptWorkspaces {
  readonly #root: string;
  readonly #limits: KeptLimits;
  readonly #now: () => number;

  readonly #warn: (message: string) => void;
  /** Workspaces being kept right now, by branch: a build of that branch waits for them. */
  readonly #coming = new Map<string, Promise<void>>();

  constructor(
    root: string,
    limits: KeptLimits,
    now: () => number = Date.now,
    warn: (message: string) => void = () => {},
  ) {
    this.#root = root;
    this.#limits = limits;
    this.#now = now;
    this.#warn = warn;
  }

  /**
   * Puts the kept workspace of the request's branch in `slot` (moved: no other build can take it), else a
   * copy of the production branch's. Stale ones (cleared, another disk size, unreadable) are removed.
   */
  async take(request: KeptRequest, slot: WorkspaceSlot): Promise<KeptTaken | null> {
    const target = slot.image ?? slot.folder;
    // A build that became ready a moment ago may still be unmounting the workspace it keeps.
    await this.#arrival(request.projectId, request.branch);
    if (request.productionBranch !== request.branch)
      await this.#arrival(request.projectId, request.productionBranch);
    const own = await this.#valid(request, request.branch);
    if (own) {
      const moved = await moveInto(own.body, slot);
      // Another build of the branch took it first: this one may still start from production's.
      if (moved) {
        await rm(own.metaFile, { force: true });
        return { meta: own.meta, from: "branch" };
      }
    }
    if (request.productionBranch === request.branch) return null;
    const production = await this.#valid(request, request.productionBranch);
    if (!production) return null;
    const copy = async () =>
      (
        await runProcess(
          "cp",
          slot.image
            ? ["--sparse=always", "--", production.body, target]
            : ["-a", "--", production.body, target],
          SYSTEM,
        )
      ).code === 0;
    // A mounted image is copied frozen, so the copy is consistent (its check replays the journal).
    const mount = keptMount(production.body);
    const copied = slot.image && (await isMounted(mount)) ? await whileFrozen(mount, copy) : await copy();
    if (!copied) {
      await rm(target, { recursive: true, force: true });
      return null;
    }
    const meta = { ...production.meta, usedAt: this.#now() };
    await writeFile(production.metaFile, JSON.stringify(meta), { mode: 0o600 }).catch(() => undefined);
    return { meta, from: "production" };
  }

  /**
   * Announces that a ready build's workspace is on its way to being kept for the branch, so that a build
   * of the branch starting meanwhile waits for it; the returned function ends the wait (kept or not).
   */
  expect(projectId: string, branch: string): () => void {
    const { body } = this.#paths(projectId, branch);
    let arrived = () => {};
    const coming = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    this.#coming.set(body, coming);
    return () => {
      if (this.#coming.get(body) === coming) this.#coming.delete(body);
      arrived();
    };
  }

  /** Waits for a workspace `expect`ed for the branch, at most a minute (an unmount that hangs). */
  async #arrival(projectId: string, branch: string): Promise<void> {
    const coming = this.#coming.get(this.#paths(projectId, branch).body);
    if (!coming) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 60_000);
    });
    await Promise.race([coming, bound]);
    clearTimeout(timer);
  }

  /** The path a build's workspace is moved to when kept; `commit` then records it and evicts. */
  async place(projectId: string, branch: string): Promise<string> {
    const { body } = this.#paths(projectId, branch);
    await mkdir(path.dirname(body), { recursive: true, mode: 0o700 });
    await unmountAndRemove(keptMount(body));
    await rm(body, { recursive: true, force: true });
    return body;
  }

  /**
   * Records the workspace just moved to `place(…)`'s path, then evicts down to the limits. `savedAt` is
   * when its build started (default now): a clear during the build must still clear it.
   */
  async commit(meta: Omit<KeptMeta, "usedAt" | "savedAt"> & { savedAt?: number }): Promise<void> {
    const { metaFile } = this.#paths(meta.projectId, meta.branch);
    const at = this.#now();
    await writeFile(metaFile, JSON.stringify({ ...meta, savedAt: meta.savedAt ?? at, usedAt: at }), {
      mode: 0o600,
    });
    await this.evict(metaFile);
  }

  /** Removes the least recently used kept workspaces until each project and the whole are within limits. */
  async evict(spare?: string): Promise<void> {
    const entries = await this.#entries();
    entries.sort((a, b) => a.meta.usedAt - b.meta.usedAt);
    const byProject = new Map<string, number>();
    let total = 0;
    for (const entry of entries) {
      byProject.set(entry.meta.projectId, (byProject.get(entry.meta.projectId) ?? 0) + entry.bytes);
      total += entry.bytes;
    }
    for (const entry of entries) {
      const project = byProject.get(entry.meta.projectId) ?? 0;
      if (entry.metaFile === spare && entry.bytes <= this.#limits.projectBytes) continue;
      if (project <= this.#limits.projectBytes && total <= this.#limits.totalBytes) continue;
      await removeEntry(entry);
      const size = Math.round(entry.bytes / 1024 ** 2);
      this.#warn(
        `evicted the build cache of ${entry.meta.projectId} (branch ${entry.meta.branch}, ${size} MB) to stay within BUILDER_CACHE_PROJECT_MB and BUILDER_CACHE_MB`,
      );
      byProject.set(entry.meta.projectId, project - entry.bytes);
      total -= entry.bytes;
      entry.evicted = true;
    }
    // Mounted images hold a loop device each: the least recently used beyond the limit are unmounted
    // (their images stay kept, checked and mounted again when used).
    const mounted = entries.filter((e) => !e.evicted).reverse();
    for (const entry of mounted.slice(this.#limits.mounted ?? 8)) await release(entry.body);
  }

  /** Unmounts every kept image (a builder shutting down), leaving the images kept. */
  async release(): Promise<void> {
    for (const entry of await this.#entries()) await release(entry.body);
  }

  /** The bytes kept for a project (what the console and `miaobu` could show). */
  async projectBytes(projectId: string): Promise<number> {
    const entries = await this.#entries();
    return entries.filter((e) => e.meta.projectId === projectId).reduce((sum, e) => sum + e.bytes, 0);
  }

  async #valid(request: KeptRequest, branch: string) {
    const { body, metaFile } = this.#paths(request.projectId, branch);
    const meta = await readMeta(metaFile);
    const stale =
      !meta ||
      meta.branch !== branch ||
      meta.diskBytes !== request.diskBytes ||
      (request.clearedAt !== null && meta.savedAt < request.clearedAt);
    if (stale) {
      await removeEntry({ body, metaFile });
      return null;
    }
    return { body, metaFile, meta };
  }

  #paths(projectId: string, branch: string): { body: string; metaFile: string } {
    if (!ID.test(projectId)) throw new Error(`bad project id ${projectId}`);
    const name = createHash("sha256").update(branch).digest("hex").slice(0, 32);
    const body = path.join(this.#root, projectId, name);
    return { body, metaFile: `${body}.json` };
  }

  async #entries(): Promise<
    { body: string; metaFile: string; meta: KeptMeta; bytes: number; evicted?: boolean }[]
  > {
    const out = [];
    for (const project of await readdir(this.#root).catch(() => [])) {
      const dir = path.join(this.#root, project);
      for (const name of await readdir(dir).catch(() => [])) {
        if (!name.endsWith(".json")) continue;
        const metaFile = path.join(dir, name);
        const body = metaFile.slice(0, -".json".length);
        const meta = await readMeta(metaFile);
        if (!meta) {
          await removeEntry({ body, metaFile });
          continue;
        }
        out.push({ body, metaFile, meta, bytes: await allocated(body) });
      }
    }
    return out;
  }
}

async function readMeta(file: string): Promise<KeptMeta | null> {
  try {
    const meta = JSON.parse(await readFile(file, "utf8")) as KeptMeta;
    return typeof meta.savedAt === "number" && typeof meta.usedAt === "number" ? meta : null;
  } catch {
    return null;
  }
}
