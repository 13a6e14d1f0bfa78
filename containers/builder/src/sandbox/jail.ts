// Runs one step of a build (git, detection, tar, the install and build commands) inside bubblewrap: its own
// user, mount, PID, IPC, UTS, cgroup and network namespaces, as the slot's unprivileged build user, seeing
// only the system's programs (read-only), the toolchains (read-only) and its workspace. When the step ends
// its PID namespace ends with it, so nothing it started outlives it.
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { type RunAs, type RunResult, runProcess, supervise } from "../process.ts";
import type { BuildCgroup, SandboxLimits } from "./limits.ts";
import { rlimitArgs } from "./limits.ts";
import { attachNetwork, type JailNetwork } from "./network.ts";
import type { SystemLayout } from "./probe.ts";
import { JAIL_ROOT, type Workspace } from "./workspace.ts";

/**
 * `none`: loopback only. `host`: the host's network, for the builder's own git fetch of a vetted URL (no
 * repository code runs then). `internet`: outbound internet without the host or private addresses.
 */
export type NetworkMode = "none" | "host" | "internet";

export interface JailStep {
  command: string;
  args: readonly string[];
  /** Working folder as the jail sees it. */
  cwd: string;
  env: Record<string, string>;
  network: NetworkMode;
  signal?: AbortSignal;
  onLine?: (stream: "stdout" | "stderr", text: string) => void;
  /** An open file the step reads as stdin (e.g. an archive only the builder may open). */
  stdin?: number;
  /** An open file the step's stdout goes to, instead of `onLine`. */
  stdout?: number;
}

/** How a builder makes jails: with bubblewrap, or (only when the operator says so) not at all. */
export type JailMode = { kind: "bwrap"; layout: SystemLayout } | { kind: "unsafe" };

export interface JailOptions {
  mode: JailMode;
  workspace: Workspace;
  user: RunAs | undefined;
  limits: SandboxLimits;
  /** Host folders every step sees read-only at the same path: toolchains, the builder's detection code. */
  readOnly: readonly string[];
  /** Generated `/etc/passwd`, `group` and `hosts` of this jail, world-readable (nothing secret). */
  etcDir: string;
  cgroup: BuildCgroup | null;
}

/** The jail of one build: every step runs through `run`. */
export class Jail {
  readonly #options: JailOptions;

  constructor(options: JailOptions) {
    this.#options = options;
  }

  get workspace(): Workspace {
    return this.#options.workspace;
  }

  get cgroup(): BuildCgroup | null {
    return this.#options.cgroup;
  }

  /** Runs a step; resolves with its exit status once it and everything it started are gone. */
  async run(step: JailStep): Promise<RunResult> {
    const { mode, user } = this.#options;
    if (step.signal?.aborted) throw step.signal.reason;
    if (mode.kind === "unsafe") {
      if (step.stdin !== undefined || step.stdout !== undefined) return this.#spawnPlain(step);
      return runProcess(step.command, step.args, {
        cwd: step.cwd,
        env: step.env,
        ...(user ? { user } : {}),
        ...(step.signal ? { signal: step.signal } : {}),
        ...(step.onLine ? { onLine: step.onLine } : {}),
      });
    }
    const jailed = [
      mode.layout.bwrap,
      // The step's environment reaches bwrap through a pipe, never through the environment of the programs
      // that run as root before it (a project's LD_PRELOAD would run its code as root) nor a command line
      // (other users of the host can read those).
      "--args",
      "5",
      ...this.#bwrapArgs(mode.layout, step),
      "--info-fd",
      "3",
      "--block-fd",
      "4",
      "--",
      step.command,
      ...step.args,
    ];
    // As root, the launcher joins the build's cgroup first (so everything the jail starts is in it, and
    // the jail's cgroup namespace is rooted there), sets the rlimits and becomes the build user for bwrap.
    const asUser = user
      ? [mode.layout.setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--", ...jailed]
      : jailed;
    const limited = [
      mode.layout.prlimit,
      ...rlimitArgs(this.#options.limits, mode.layout.hardLimits, this.#options.cgroup !== null),
      "--",
      ...asUser,
    ];
    const procs = this.#options.cgroup?.procsFiles ?? [];
    const [command = "", ...args] =
      procs.length > 0 ? ["/bin/sh", "-c", JOIN_CGROUP, "sh", ...procs, "--", ...limited] : limited;
    const child = spawn(command, args, {
      cwd: "/",
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      detached: true,
      stdio: [step.stdin ?? "ignore", step.stdout ?? "pipe", "pipe", "pipe", "pipe", "pipe"],
    });
    // bwrap closes its pipes when it is done with them; that is not an error.
    for (const pipe of child.stdio.slice(3)) pipe?.on("error", () => undefined);
    (child.stdio.at(5) as Writable | null | undefined)?.end(environmentArgs(step.env));
    const done = supervise(child, {
      ...(step.signal ? { signal: step.signal } : {}),
      ...(step.onLine ? { onLine: step.onLine } : {}),
    });
    let network: JailNetwork | null = null;
    try {
      const pid = await sandboxPid(child.stdio[3] as Readable | null, done);
      if (step.network === "internet")
        network = await attachNetwork(pid, `${this.#options.workspace.private}/routes`);
      (child.stdio[4] as Writable | null)?.end("go");
      return await done;
    } catch (error) {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await done.catch(() => undefined);
      throw error;
    } finally {
      network?.stop();
    }
  }

  #bwrapArgs(layout: SystemLayout, step: JailStep): string[] {
    const { workspace, readOnly, etcDir } = this.#options;
    const args = [
      "--unshare-all",
      "--unshare-user",
      ...(step.network === "host" ? ["--share-net"] : []),
      "--disable-userns",
      "--die-with-parent",
      "--new-session",
      "--hostname",
      "miaobu-build",
      ...layout.systemArgs,
      "--ro-bind",
      `${etcDir}/passwd`,
      "/etc/passwd",
      "--ro-bind",
      `${etcDir}/group`,
      "/etc/group",
      "--ro-bind",
      `${etcDir}/hosts`,
      "/etc/hosts",
      "--ro-bind",
      step.network === "internet" ? `${etcDir}/resolv.conf` : "/etc/resolv.conf",
      "/etc/resolv.conf",
      "--proc",
      "/proc",
      "--dev",
      "/dev",
      "--size",
      String(256 * 1024 * 1024),
      "--tmpfs",
      "/dev/shm",
      "--bind",
      workspace.host,
      JAIL_ROOT,
      "--bind",
      `${workspace.host}/tmp`,
      "/tmp",
      "--dir",
      "/var",
      "--symlink",
      "../tmp",
      "/var/tmp",
    ];
    for (const dir of readOnly) args.push("--ro-bind", dir, dir);
    args.push("--chdir", step.cwd);
    return args;
  }

  /** An unjailed step with raw stdin/stdout (only with the operator's unsafe setting). */
  #spawnPlain(step: JailStep): Promise<RunResult> {
    const { user } = this.#options;
    const child = spawn(step.command, step.args, {
      cwd: step.cwd,
      env: step.env,
      detached: true,
      stdio: [step.stdin ?? "ignore", step.stdout ?? "pipe", "pipe"],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    return supervise(child, {
      ...(step.signal ? { signal: step.signal } : {}),
      ...(step.onLine ? { onLine: step.onLine } : {}),
    });
  }
}

/** bwrap's `--args` form of an environment: NUL-separated `--clearenv`, then `--setenv NAME VALUE` each. */
function environmentArgs(env: Record<string, string>): string {
  const args = ["--clearenv", ...Object.entries(env).flatMap(([name, value]) => ["--setenv", name, value])];
  return `${args.join("\0")}\0`;
}

/** Writes its own pid into each `cgroup.procs` file given before `--`, then runs the rest. */
const JOIN_CGROUP = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/** The PID (in the builder's namespace) of the sandbox's init, from bwrap's `--info-fd` JSON. */
function sandboxPid(info: Readable | null, done: Promise<RunResult>): Promise<number> {
  return new Promise((resolve, reject) => {
    if (!info) return reject(new Error("bwrap has no info pipe"));
    let text = "";
    info.setEncoding("utf8");
    info.on("data", (chunk: string) => {
      text += chunk;
      const pid = /"child-pid"\s*:\s*(\d+)\s*[,}]/.exec(text)?.[1];
      if (pid) resolve(Number(pid));
    });
    done.then(
      (result) =>
        reject(new Error(`bwrap exited (${result.code ?? result.signal}) before the sandbox started`)),
      reject,
    );
  });
}
