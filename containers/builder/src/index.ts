import { chmod, mkdir, realpath, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllowedHosts } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage/types";
import type { BuildContext } from "./build.ts";
import { Builder } from "./builder.ts";
import type { CacheStore } from "./cache.ts";
import { allowedGitHosts } from "./git-policy.ts";
import { type KeptLimits, KeptWorkspaces } from "./kept-workspaces.ts";
import { CallbackCacheStore } from "./remote-cache.ts";
import { DEFAULT_LIMITS, type SandboxLimits } from "./sandbox/limits.ts";
import { Sandboxes } from "./sandbox/sandboxes.ts";
import { isRoot } from "./sandbox/users.ts";
import { createHandler } from "./server.ts";

export type { Analysis } from "./builder.ts";
export type { CacheStore } from "./cache.ts";
export type { BuildEvent, BuildRequest, LogLine } from "./protocol.ts";
export { CallbackCacheStore } from "./remote-cache.ts";

export interface BuilderOptions {
  /** Shared secret every request must carry as `Authorization: Bearer …`. */
  secret: string;
  /** Where builds run (one folder per slot). */
  workDir: string;
  /** Where dependency caches and downloaded tools (Node versions, pnpm, yarn) are kept. */
  cacheDir: string;
  /** Default 8789; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Builds at once; default 2. */
  concurrency?: number;
  /** Prefix of the unprivileged build users when running as root (default `miaobu-build`); null never switches. */
  buildUser?: string | null;
  /**
   * Git hosts allowed on loopback or private addresses (`MIAOBU_GIT_ALLOWED_HOSTS`, e.g. a local `git daemon`);
   * default: that variable of this process's environment.
   */
  gitAllowedHosts?: string;
  /** Disk, memory, processes and open files of each build (default `DEFAULT_LIMITS`). */
  limits?: SandboxLimits;
  /**
   * Build WITHOUT a sandbox (`MIAOBU_UNSAFE_NO_SANDBOX=1`): only where every repository is trusted. Without
   * it, a machine that cannot make a sandbox refuses every build with the fix in the message.
   */
  unsafeNoSandbox?: boolean;
  /**
   * The build cache (docs/builder.md): `kept` (default) keeps each ready build's workspace on this machine
   * for the next build of its branch; `archive` stores a zstd archive through the API's cache endpoints
   * of each build (or in `cacheStore`), for builders that start empty every time (Containers).
   */
  cacheMode?: "kept" | "archive";
  /** Where archives go in `archive` mode, instead of the API. */
  cacheStore?: CacheStore;
  /** Disk the kept workspaces may use, per project and in all (default 4 GiB and 20 GiB). */
  cacheLimits?: KeptLimits;
  /**
   * Lines for the build's `~/.npmrc`: the machine's registry or TLS settings, which the build's scrubbed
   * environment cannot carry. Default: `cafile=$NODE_EXTRA_CA_CERTS` when that is set. Never credentials.
   */
  npmrc?: string | null;
  /**
   * The platform's S3 or OSS bucket (`MIAOBU_STORAGE` and its variables): builds then write files straight
   * to it rather than through the API. Its credentials stay in this process; builds never see them.
   */
  directStorage?: Storage | null;
  heartbeatMs?: number;
  /** The builder's own log (default stderr). */
  log?: (line: string) => void;
}

/** A running builder. */
export interface RunningBuilder {
  url: string;
  port: number;
  builder: Builder;
  /** Cancels running builds, waits for them to report, and stops listening. */
  close(): Promise<void>;
}

/** Starts the builder's HTTP service (docs/builder-protocol.md). */
export async function startBuilder(options: BuilderOptions): Promise<RunningBuilder> {
  if (options.secret.length < 16) throw new Error("the builder secret must be at least 16 characters");
  const log = options.log ?? ((line: string) => process.stderr.write(`[builder] ${line}\n`));
  const toolsDir = path.join(options.cacheDir, "tools");
  await mkdir(toolsDir, { recursive: true });
  await mkdir(path.join(options.cacheDir, "deps"), { recursive: true, mode: 0o700 });
  // Builds may run the tools (read-only) but never read other projects' dependency caches.
  await chmod(options.cacheDir, 0o711);
  await chmod(toolsDir, 0o755);
  await chmod(path.join(options.cacheDir, "deps"), 0o700);
  const ownBin = path.dirname(await realpath(process.execPath));
  const cli = await realpath(fileURLToPath(import.meta.resolve("@miaobu/detect/cli")));
  const sandboxes = await Sandboxes.create({
    workDir: path.resolve(options.workDir),
    limits: options.limits ?? DEFAULT_LIMITS,
    unsafe: options.unsafeNoSandbox === true,
    // Jails see the toolchains, the builder's own Node and the detection code, read-only.
    readOnly: [toolsDir, ownBin, path.dirname(path.dirname(cli))],
  });
  log(sandboxes.describe());
  const tiers = cacheTiers(options);
  const builder = new Builder(
    {
      sandboxes,
      detect: { nodeBin: ownBin, cli },
      gitAllowedHosts:
        options.gitAllowedHosts !== undefined
          ? parseAllowedHosts(options.gitAllowedHosts)
          : allowedGitHosts(),
      toolsDir,
      cacheTier: tiers.tier,
      buildUser: options.buildUser === undefined ? "miaobu-build" : options.buildUser,
      builderSecret: options.secret,
      directStorage: options.directStorage ?? null,
      npmrc:
        options.npmrc !== undefined
          ? options.npmrc
          : process.env.NODE_EXTRA_CA_CERTS
            ? `cafile=${process.env.NODE_EXTRA_CA_CERTS}`
            : null,
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
      warn: log,
    },
    options.concurrency ?? 2,
  );
  if (isRoot() && builder.switchesUsers) {
    await mkdir(options.workDir, { recursive: true });
    for (const dir of [options.workDir, toolsDir, ownBin, path.dirname(cli)])
      await assertTraversable(path.resolve(dir));
  }
  const handler = createHandler(builder, options.secret, log);
  const server = createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8789, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    builder,
    async close() {
      await builder.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Kept images left mounted are unmounted clean; a builder that dies leaves them for the next.
      await tiers.kept?.release();
    },
  };
}

/** Where each build's cache comes from and goes, from the options. */
function cacheTiers(options: BuilderOptions): {
  tier: BuildContext["cacheTier"];
  kept: KeptWorkspaces | null;
} {
  if (options.cacheMode !== "archive") {
    const privateDir = path.join(path.resolve(options.workDir), ".private");
    const kept = new KeptWorkspaces(
      path.join(privateDir, "kept"),
      options.cacheLimits ?? DEFAULT_CACHE_LIMITS,
      Date.now,
      options.log ?? ((line) => process.stderr.write(`[builder] ${line}\n`)),
    );
    return { tier: () => ({ kind: "kept", kept, variantsDir: path.join(privateDir, "variants") }), kept };
  }
  const fixed = options.cacheStore;
  return {
    tier: ({ client, deploymentId, signal }) => ({
      kind: "archive",
      store: fixed ?? new CallbackCacheStore(client, deploymentId, signal),
    }),
    kept: null,
  };
}

/** Per project as much as one build's disk (BUILDER_DISK_MB's default), so a project's cache always fits. */
export const DEFAULT_CACHE_LIMITS: KeptLimits = {
  projectBytes: 10_240 * 1024 ** 2,
  totalBytes: 30_720 * 1024 ** 2,
  mounted: 8,
};

/** Build users (and their jails, made as them) must be able to pass through every folder above these. */
async function assertTraversable(dir: string): Promise<void> {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `build users cannot reach ${dir}: ${current} is not traversable by others (chmod o+x it)`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}
