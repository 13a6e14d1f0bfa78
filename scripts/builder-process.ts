// The builder as a child process of the local platform, with only what it needs in its environment.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { unmountUnder } from "../containers/builder/src/sandbox/mounts.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

export function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/**
 * Where the builder keeps its work folders, tool downloads and dependency caches (`BUILDER_DATA_DIR`). As
 * root it switches builds to unprivileged users, who must reach their work folder, while the data folder is
 * 0700: so then it is a root-owned 0711 folder of the system's temporary directory, one per data folder.
 */
export async function builderBase(dataDir: string): Promise<string> {
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!asRoot) return path.join(dataDir, "builder");
  const id = createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
  const base = path.join(os.tmpdir(), `miaobu-builder-${id}`);
  await fs.mkdir(base, { recursive: true, mode: 0o711 });
  // The temporary directory is shared: anyone could have made this name first, as a folder or a link.
  const stat = await fs.lstat(base);
  if (!stat.isDirectory() || stat.uid !== 0) {
    throw new Error(`${base} is not a folder owned by root; remove it and start again`);
  }
  await fs.chmod(base, 0o711);
  return base;
}

export interface BuilderProcess {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export interface BuilderProcessOptions {
  /** `BUILDER_DATA_DIR`, from `builderBase`. */
  base: string;
  port: number;
  host: string;
  secret: string;
  /** The storage variables (docs/storage.md): with S3 or OSS the builder writes files to the bucket itself. */
  storage: Record<string, string>;
  /** `MIAOBU_GIT_ALLOWED_HOSTS`: loopback or private git hosts the builder may still clone from. */
  gitAllowedHosts?: string | undefined;
}

/**
 * Starts the builder as its own process with only what it needs in its environment: its secret, port and
 * folders. Builds run under an unprivileged user when this runs as root, so the folders must be traversable.
 */
export function startBuilderProcess({
  base,
  port,
  host,
  secret,
  storage,
  gitAllowedHosts,
}: BuilderProcessOptions): BuilderProcess {
  const child = spawn(process.execPath, [path.join(ROOT, "containers/builder/src/main.ts")], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: process.env.HOME ?? base,
      BUILDER_SECRET: secret,
      BUILDER_PORT: String(port),
      BUILDER_HOST: host,
      BUILDER_DATA_DIR: base,
      ...storage,
      ...(gitAllowedHosts ? { MIAOBU_GIT_ALLOWED_HOSTS: gitAllowedHosts } : {}),
      // Builds install from the npm registry: pass on how this machine reaches it (CA bundle, proxy).
      ...pick(process.env, [
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "BUILDER_CONCURRENCY",
        "BUILDER_NPMRC",
        // The build sandbox's limits and the operator's explicit opt-out (docs/security.md).
        "BUILDER_DISK_MB",
        "BUILDER_MEMORY_MB",
        "BUILDER_PROCESSES",
        "BUILDER_OPEN_FILES",
        "MIAOBU_UNSAFE_NO_SANDBOX",
        // Where the build cache lives and how much of the disk it may use (docs/builder.md).
        "BUILDER_LOCAL_CACHE",
        "BUILDER_CACHE_MB",
        "BUILDER_CACHE_PROJECT_MB",
        "BUILDER_CACHE_MOUNTED",
      ]),
      ...(process.env.BUILDER_USER !== undefined ? { BUILDER_USER: process.env.BUILDER_USER } : {}),
    },
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
    if (process.env.MIAOBU_BUILDER_LOG === "1") process.stderr.write(d);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    output: () => output,
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      });
      // A builder killed mid-build leaves that build's filesystem mounted in its folder.
      await unmountUnder(base);
    },
  };
}
