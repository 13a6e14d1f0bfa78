// A real `git daemon` for tests that build from git: the builder's own tests and the console's browser suite.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

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
