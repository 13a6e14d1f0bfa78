// The build cache of one build (docs/builder.md, "Build cache"): node_modules, the package manager's store
// in `home` and the framework's cache folders, per project and branch, falling back to the production
// branch's. On one machine the whole workspace is kept (`KeptWorkspaces`); where every build gets a fresh
// machine, a zstd archive in storage carries the same folders.
import { createHash } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Detection } from "@miaobu/detect";
import type { CacheStore } from "./cache.ts";
import {
  archiveMeta,
  dropFolders,
  extractArchive,
  makeArchive,
  moveKeptFolders,
  tidyKept,
} from "./cache-jail.ts";
import type { KeptMeta, KeptTaken, KeptWorkspaces } from "./kept-workspaces.ts";
import type { BuildRequest } from "./protocol.ts";
import type { Jail } from "./sandbox/jail.ts";
import type { WorkspaceSlot } from "./sandbox/workspace.ts";
import { mb } from "./steps.ts";
import { VariantStore } from "./variant-store.ts";

/** What filled a cache; another Node major or package manager means its node_modules do not fit. */
export interface CacheOrigin {
  nodeMajor: string;
  packageManager: string;
  /** What the install read and ran with (`installKey`); null when the install always runs. */
  install?: string | null;
}

/**
 * One hash of everything an install depends on: the project's install inputs (from detection), the
 * toolchain, the install command, the build's environment and the operator's npm settings. Null when
 * detection found that an install must always run.
 */
export function installKey(inputs: string | null, context: Record<string, unknown>): string | null {
  if (inputs === null) return null;
  return createHash("sha256")
    .update(JSON.stringify({ inputs, ...context }))
    .digest("hex");
}

type CacheMeta = CacheOrigin & { savedAt: number };

/** The folders a build keeps, relative to the checkout: node_modules, Yarn's cache, the framework's. */
export function cachedFolders(rootDir: string | null, detection: Pick<Detection, "cacheDirs">): string[] {
  const inProject = ["node_modules", ".yarn/cache", ...detection.cacheDirs];
  const folders = rootDir
    ? [...inProject.map((f) => `${rootDir}/${f}`), "node_modules", ".yarn/cache"]
    : inProject;
  return [...new Set(folders)];
}

/** The storage key of a branch's cache archive. */
export function archiveKey(projectId: string, branch: string): string {
  return `projects/${projectId}/cache/${createHash("sha256").update(branch).digest("hex")}.tar.zst`;
}

/** Where a build's cache comes from and goes to: kept workspaces on this machine, or archives in storage. */
export type CacheTier =
  | { kind: "kept"; kept: KeptWorkspaces; variantsDir: string }
  | { kind: "archive"; store: CacheStore };

export class BuildCache {
  readonly #tier: CacheTier;
  readonly #request: BuildRequest;
  readonly #say: (line: string) => void;
  #taken: KeptTaken | null = null;
  /** The install key of the node_modules restored into this build, if any. */
  #installed: string | null = null;
  #arrived: (() => void) | null = null;
  /** What the cache this build saves is stamped with: a clear while it runs must clear it too. */
  readonly #startedAt = Date.now();

  /** The compressed variants of the project's last build (kept mode). */
  readonly variants: VariantStore | null;

  constructor(tier: CacheTier, request: BuildRequest, say: (line: string) => void) {
    this.#tier = tier;
    this.#request = request;
    this.#say = say;
    this.variants =
      tier.kind === "kept" && request.cache.restore
        ? new VariantStore(path.join(tier.variantsDir, request.project.id))
        : null;
  }

  /** For `Sandboxes.open`: puts the branch's kept workspace in the slot, when there is one to use. */
  reuse(diskBytes: number | null): ((slot: WorkspaceSlot) => Promise<boolean>) | undefined {
    const tier = this.#tier;
    const request = this.#request;
    if (tier.kind !== "kept" || !request.cache.restore) return undefined;
    return async (slot) => {
      this.#taken = await tier.kept.take(
        {
          projectId: request.project.id,
          branch: request.source.branch,
          productionBranch: request.cache.productionBranch,
          clearedAt: request.cache.clearedAt,
          diskBytes,
        },
        slot,
      );
      return this.#taken !== null;
    };
  }

  /**
   * True when node_modules came from the cache and were made by an install with exactly this key: the
   * install would change nothing, so the build skips it.
   */
  installUpToDate(key: string | null | undefined): boolean {
    return typeof key === "string" && this.#installed === key;
  }

  /** Before the clone: a kept workspace is tidied by the jail, so the checkout starts empty. */
  async prepare(jail: Jail, signal: AbortSignal): Promise<void> {
    // The kept image may have failed its check and been replaced by an empty one.
    if (!jail.workspace.reused) this.#taken = null;
    else await tidyKept(jail, signal);
  }

  /** After detection: brings the cached folders into the checkout; never fails the build. */
  async restore(jail: Jail, folders: string[], origin: CacheOrigin, signal: AbortSignal): Promise<void> {
    const request = this.#request;
    if (!request.cache.restore) {
      this.#say("Building without cache, as asked: the new cache will replace the old");
      return;
    }
    try {
      if (this.#tier.kind === "kept") return await this.#restoreKept(jail, folders, origin, signal);
      await this.#restoreArchive(this.#tier.store, jail, folders, origin, signal);
    } catch (error) {
      signal.throwIfAborted();
      // A cache is an optimization: the install does all the work instead.
      this.#say(`warning: the build cache could not be restored (${String(error)}); building without it`);
      await dropFolders(jail, folders, signal).catch(() => undefined);
    }
  }

  /**
   * After the deployment is ready: keeps the variants this build served (kept mode; its workspace is kept
   * when the jail closes), or stores the archive of its folders (archive mode). Returns what it did.
   */
  async saveAfterReady(
    jail: Jail,
    folders: string[],
    origin: CacheOrigin,
    signal: AbortSignal,
  ): Promise<string> {
    if (this.#tier.kind !== "archive") {
      await this.variants?.save();
      return "";
    }
    const file = path.join(jail.workspace.private, "cache.tar.zst");
    try {
      const meta = { ...origin, branch: this.#request.source.branch, savedAt: this.#startedAt };
      const size = await makeArchive(jail, file, folders, meta, signal);
      await this.#tier.store.put(archiveKey(this.#request.project.id, this.#request.source.branch), file);
      return `saved the build cache (${mb(size)})`;
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Where to keep this build's workspace (kept mode, after success), and how to record it once moved. */
  /**
   * The deployment is ready: in kept mode, a build of this branch that starts now waits until this one's
   * workspace is kept (`keep`'s `done`). Call it as soon as the deployment is ready.
   */
  ready(): void {
    if (this.#tier.kind !== "kept" || this.#arrived) return;
    this.#arrived = this.#tier.kept.expect(this.#request.project.id, this.#request.source.branch);
  }

  /** Ends what `ready` announced (the workspace was kept, or could not be). */
  done(): void {
    this.#arrived?.();
    this.#arrived = null;
  }

  async keep(
    origin: CacheOrigin,
    diskBytes: number | null,
  ): Promise<{ path: string; commit: () => Promise<void> } | null> {
    if (this.#tier.kind !== "kept") return null;
    const kept = this.#tier.kept;
    const { project, source } = this.#request;
    const target = await kept.place(project.id, source.branch);
    const meta: Omit<KeptMeta, "usedAt"> = {
      savedAt: this.#startedAt,
      projectId: project.id,
      branch: source.branch,
      ...origin,
      diskBytes,
    };
    return { path: target, commit: () => kept.commit(meta) };
  }

  async #restoreKept(jail: Jail, folders: string[], origin: CacheOrigin, signal: AbortSignal): Promise<void> {
    const taken = this.#taken;
    if (!taken) {
      this.#say(
        "No build cache for this branch yet (or it was evicted to fit the builder's cache limits): the install starts from scratch",
      );
      return;
    }
    const { meta } = taken;
    const from = `${taken.from === "branch" ? "branch" : "production branch"} ${meta.branch}`;
    const reason = mismatch(meta, origin);
    // Another Node or package manager: the store in home is still good, node_modules is not.
    const moved = await moveKeptFolders(jail, reason ? [] : folders, signal);
    if (moved.includes("node_modules") && typeof meta.install === "string") this.#installed = meta.install;
    const what = ["home (package manager store)", ...moved].join(", ");
    this.#say(`Build cache of ${from}, saved ${ago(meta.savedAt)}: ${what}`);
    if (reason) this.#say(`  ${reason}: node_modules and framework caches are rebuilt`);
  }

  async #restoreArchive(
    store: CacheStore,
    jail: Jail,
    folders: string[],
    origin: CacheOrigin,
    signal: AbortSignal,
  ): Promise<void> {
    const { project, source, cache } = this.#request;
    const branches = [...new Set([source.branch, cache.productionBranch])];
    const file = path.join(jail.workspace.private, "restore.tar.zst");
    try {
      for (const branch of branches) {
        if (!(await store.get(archiveKey(project.id, branch), file))) continue;
        const { size } = await stat(file);
        const meta = (await archiveMeta(jail, file, signal)) as Partial<CacheMeta> | null;
        const savedAt = meta?.savedAt;
        if (typeof savedAt !== "number")
          throw new Error("the archive is damaged or was not made by Miaobu's builder");
        if (cache.clearedAt !== null && savedAt < cache.clearedAt) continue;
        await extractArchive(jail, file, signal);
        const reason = mismatch(meta ?? {}, origin);
        if (reason) await dropFolders(jail, folders, signal);
        else if (typeof meta?.install === "string") this.#installed = meta.install;
        this.#say(`Build cache of branch ${branch} (${mb(size)}), saved ${ago(savedAt)}`);
        if (reason) this.#say(`  ${reason}: node_modules and framework caches are rebuilt`);
        return;
      }
      this.#say(
        "No build cache for this branch yet (or it was evicted to fit the builder's cache limits): the install starts from scratch",
      );
    } finally {
      await rm(file, { force: true });
    }
  }
}

/** Why a cache's node_modules do not fit this build, or "" when they do. */
function mismatch(meta: Partial<CacheOrigin>, origin: CacheOrigin): string {
  if (meta.nodeMajor !== origin.nodeMajor)
    return `the cache was made with Node ${meta.nodeMajor ?? "?"}, this build uses Node ${origin.nodeMajor}`;
  if (meta.packageManager !== origin.packageManager)
    return `the cache was made by ${meta.packageManager ?? "?"}, this build uses ${origin.packageManager}`;
  return "";
}

function ago(at: number): string {
  const seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}
