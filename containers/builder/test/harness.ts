import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BuildRequest } from "../src/index.ts";

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until something listens on a port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A real `git daemon` serving the repositories made under its base folder. */
export class GitServer {
  base = "";
  port = 0;
  #daemon: ChildProcess | undefined;

  async start(): Promise<void> {
    this.base = await mkdtemp(path.join(tmpdir(), "miaobu-git-"));
    this.port = await freePort();
    this.#daemon = spawn(
      "git",
      [
        "daemon",
        `--base-path=${this.base}`,
        "--export-all",
        "--listen=127.0.0.1",
        `--port=${this.port}`,
        "--reuseaddr",
        this.base,
      ],
      { stdio: "ignore", detached: true },
    );
    await waitForPort(this.port);
  }

  stop(): void {
    if (this.#daemon?.pid) process.kill(-this.#daemon.pid, "SIGKILL");
  }

  url(name: string): string {
    return `git://127.0.0.1:${this.port}/${name}`;
  }

  /** Makes (or adds a commit to) a repository with these files; returns the commit's sha. */
  async commit(
    name: string,
    files: Record<string, string>,
    message = "a commit",
    before?: (dir: string) => void,
  ): Promise<string> {
    const dir = path.join(this.base, name);
    await mkdir(dir, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync("git", args, {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", HOME: this.base, GIT_CONFIG_NOSYSTEM: "1" },
      }).trim();
    if (!existsSync(path.join(dir, ".git"))) git("init", "--quiet", "--initial-branch", "main");
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    }
    before?.(dir);
    git("add", "-A");
    git("-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "--quiet", "-m", message);
    return git("rev-parse", "HEAD");
  }
}

/** A build request for a repository of the git server, with a fresh id and token. */
export function buildRequest(
  git: GitServer,
  apiUrl: string,
  repo: string,
  overrides: Partial<Pick<BuildRequest, "env" | "secretEnvKeys" | "limits">> & {
    commit?: string | null;
    settings?: Partial<BuildRequest["settings"]>;
  } = {},
): BuildRequest {
  return {
    deploymentId: `dpl_${randomBytes(6).toString("hex")}`,
    project: { id: "prj_test", name: "site" },
    source: { url: git.url(repo), branch: "main", commit: overrides.commit ?? null, rootDir: null },
    settings: {
      framework: null,
      installCommand: null,
      buildCommand: null,
      outputDir: null,
      nodeVersion: null,
      timeoutSeconds: 300,
      ...overrides.settings,
    },
    env: overrides.env ?? {},
    secretEnvKeys: overrides.secretEnvKeys ?? [],
    callback: { apiUrl, token: `mbd_${randomBytes(24).toString("hex")}` },
    limits: overrides.limits ?? { maxFiles: 20_000, maxFileBytes: 25 * 1024 * 1024 },
  };
}

/** Sends a request to the builder. */
export async function call(
  builderUrl: string,
  secret: string,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${builderUrl}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
