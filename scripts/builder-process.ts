// The builder as a child process of the local platform, with only what it needs in its environment.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBase32 } from "@miaobu/shared";

const ROOT = path.resolve(import.meta.dirname, "..");

export function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/** True when every folder from `dir` up to `/` may be traversed by other users (o+x). */
function traversable(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (current === path.dirname(current)) return true;
  }
}

/**
 * Where the builder keeps its work and cache folders: inside the data folder when build users (which the
 * builder switches to when it runs as root) can reach it, else in a per-data-folder folder of the system's
 * temporary directory, e.g. for a checkout under /root.
 */
function builderBase(dataDir: string): string {
  const inside = path.join(dataDir, "builder");
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!asRoot || traversable(dataDir)) return inside;
  const id = createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `miaobu-builder-${id}`);
}

export interface BuilderProcess {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts the builder as its own process with only what it needs in its environment: its secret, port and
 * folders. Builds run under an unprivileged user when this runs as root, so the folders must be traversable.
 */
export function startBuilderProcess(
  dataDir: string,
  port: number,
  host: string,
  secret: string,
  /** The storage variables (docs/storage.md): with S3 or OSS the builder writes files to the bucket itself. */
  storage: Record<string, string>,
): BuilderProcess {
  const base = builderBase(dataDir);
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
      // Builds install from the npm registry: pass on how this machine reaches it (CA bundle, proxy).
      ...pick(process.env, [
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "BUILDER_CONCURRENCY",
        "BUILDER_NPMRC",
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
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** The secret the API and the builder share, made once per data folder. */
export async function builderSecretOf(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "builder-secret");
  try {
    return (await fs.readFile(file, "utf8")).trim();
  } catch {
    const secret = randomBase32(40);
    await fs.writeFile(file, secret, { mode: 0o600 });
    return secret;
  }
}
