import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";

/** Who a child process runs as; undefined runs it as the builder's own user. */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  user?: RunAs;
  signal?: AbortSignal;
  /** Each line of output, without its line ending. */
  onLine?: (stream: "stdout" | "stderr", text: string) => void;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a program in its own process group. When `signal` aborts, or when the program exits, the
 * whole group is killed at once, so a background grandchild never outlives its build.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  if (options.signal?.aborted) return Promise.reject(options.signal.reason);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  return supervise(child, options);
}

/**
 * Waits for a child started in its own process group (`detached`), forwarding its output lines. When
 * `signal` aborts, or when the child exits, the whole group is killed at once.
 */
export function supervise(
  child: ChildProcess,
  options: Pick<RunOptions, "signal" | "onLine">,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const killGroup = () => {
      if (child.pid !== undefined) killProcessGroup(child.pid);
    };
    const onAbort = () => killGroup();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (child.stdout) forwardLines(child.stdout, (text) => options.onLine?.("stdout", text));
    if (child.stderr) forwardLines(child.stderr, (text) => options.onLine?.("stderr", text));
    let exited: RunResult | null = null;
    const finish = () => {
      options.signal?.removeEventListener("abort", onAbort);
      if (exited === null) return;
      if (options.signal?.aborted) reject(options.signal.reason);
      else resolve(exited);
    };
    child.on("error", (error) => {
      options.signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      // Leftover background processes of the group would keep the pipes open: end them with it.
      killGroup();
      const grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, 1000);
      child.on("close", () => {
        clearTimeout(grace);
        finish();
      });
    });
  });
}

/** True while a process exists (one of another user counts too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Kills every process of a group; a group already gone is fine. */
export function killProcessGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * Kills every process whose real uid is `uid` until none is left. A build user runs only builds, so
 * this also ends processes that left their group with `setsid`.
 */
export async function killUserProcesses(uid: number): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const pids = await processesOf(uid);
    if (pids.length === 0) return killed;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // Already gone.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return killed;
}

/** The pids whose real uid is `uid`, read from /proc. */
export async function processesOf(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const status = await readFile(`/proc/${name}/status`, "utf8").catch(() => "");
    const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    // Zombies are already dead and only wait for their parent.
    const zombie = /^State:\s+Z/m.test(status);
    if (real !== undefined && Number(real) === uid && !zombie) pids.push(Number(name));
  }
  return pids;
}

function forwardLines(stream: NodeJS.ReadableStream, onLine: (text: string) => void): void {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const parts = (rest + chunk).split(/\r\n|\n|\r/);
    rest = parts.pop() ?? "";
    for (const part of parts) onLine(part);
    // A line that never ends (a progress bar) is cut rather than held in memory forever.
    if (rest.length > 16_384) {
      onLine(rest);
      rest = "";
    }
  });
  stream.on("end", () => {
    if (rest !== "") onLine(rest);
  });
}
