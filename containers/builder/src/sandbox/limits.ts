// Resource limits of a build: disk (the size of its work filesystem), memory and processes (a cgroup when
// the machine lets the builder make one, else rlimits), open files and file size (rlimits).
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { processAlive } from "../process.ts";

export interface SandboxLimits {
  /** Size of the build's work filesystem (checkout, HOME, /tmp). */
  diskBytes: number;
  memoryBytes: number;
  /** Processes and threads at once. */
  processes: number;
  openFiles: number;
}

const MB = 1024 * 1024;
export const DEFAULT_LIMITS: SandboxLimits = {
  diskBytes: 10_240 * MB,
  memoryBytes: 8_192 * MB,
  processes: 2_048,
  openFiles: 65_536,
};

/** A positive whole number from the variable `name` times `unit`, or `fallback` when it is unset. */
export function fromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name}=${raw} is not a positive whole number`);
  return value * unit;
}

/** The limits from `BUILDER_DISK_MB`, `BUILDER_MEMORY_MB`, `BUILDER_PROCESSES`, `BUILDER_OPEN_FILES`. */
export function limitsFromEnv(env: NodeJS.ProcessEnv): SandboxLimits {
  const read = (name: string, fallback: number, unit: number) => fromEnv(env, name, fallback, unit);
  return {
    diskBytes: read("BUILDER_DISK_MB", DEFAULT_LIMITS.diskBytes, MB),
    memoryBytes: read("BUILDER_MEMORY_MB", DEFAULT_LIMITS.memoryBytes, MB),
    processes: read("BUILDER_PROCESSES", DEFAULT_LIMITS.processes, 1),
    openFiles: read("BUILDER_OPEN_FILES", DEFAULT_LIMITS.openFiles, 1),
  };
}

/**
 * `prlimit` arguments for what rlimits can bound: also the fallback for processes when there is no cgroup.
 * The build user cannot raise a hard limit, so each is at most the builder's own (`hard`, from /proc).
 */
export function rlimitArgs(
  limits: SandboxLimits,
  hard: ReadonlyMap<string, number>,
  cgroupBound: boolean,
): string[] {
  const at = (name: string, option: string, wanted: number) => {
    const value = Math.min(wanted, hard.get(name) ?? wanted);
    return `--${option}=${value}:${value}`;
  };
  return [
    at("Max open files", "nofile", limits.openFiles),
    at("Max file size", "fsize", limits.diskBytes),
    // Per real uid: each slot has its own build user, so this bounds one build. With a cgroup, the cgroup
    // is the limit (it can tell the build why); the rlimit stays a little above it as a backstop.
    at("Max processes", "nproc", cgroupBound ? limits.processes + 64 : limits.processes),
    "--core=0:0",
  ];
}

/** This process's hard limits by /proc's names ("Max open files"); unlimited ones are left out. */
export function hardLimits(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n").slice(1)) {
    const match = /^(Max [\w ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (match?.[1] && match[3] && /^\d+$/.test(match[3])) out.set(match[1], Number(match[3]));
  }
  return out;
}

/** A cgroup holding one jailed process tree, bounding its memory and processes. */
export interface BuildCgroup {
  /** The `cgroup.procs` files a process writes its pid to, to join the group (with its future children). */
  procsFiles: string[];
  /** True when the group's memory limit was hit (a kill by the OOM killer is the likely cause of failure). */
  oomKilled(): Promise<boolean>;
  /** True when a fork was refused because the group had as many processes as it may. */
  processLimitHit(): Promise<boolean>;
  remove(): Promise<void>;
}

const V2 = "/sys/fs/cgroup";
const V1_MEMORY = "/sys/fs/cgroup/memory";
const V1_PIDS = "/sys/fs/cgroup/pids";

/**
 * Makes a cgroup named `name` with the limits, on cgroup v2 or v1 (memory and pids controllers), or
 * returns null when neither is writable (not root, or a container without cgroup delegation).
 */
export async function createCgroup(name: string, limits: SandboxLimits): Promise<BuildCgroup | null> {
  try {
    if (existsSync(path.join(V2, "cgroup.controllers"))) return await createV2(name, limits);
    if (existsSync(path.join(V1_MEMORY, "memory.limit_in_bytes"))) return await createV1(name, limits);
  } catch {
    return null;
  }
  return null;
}

async function createV2(name: string, limits: SandboxLimits): Promise<BuildCgroup> {
  // Processes may only live in leaves: the builder's own group gets a child for builds, enabled for both.
  const parent = await v2Parent();
  await mkdir(parent, { recursive: true });
  await writeFile(path.join(path.dirname(parent), "cgroup.subtree_control"), "+memory +pids").catch(() => {});
  await writeFile(path.join(parent, "cgroup.subtree_control"), "+memory +pids");
  const dir = path.join(parent, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "memory.max"), String(limits.memoryBytes));
  await writeFile(path.join(dir, "memory.swap.max"), "0").catch(() => {});
  await writeFile(path.join(dir, "pids.max"), String(limits.processes));
  return {
    procsFiles: [path.join(dir, "cgroup.procs")],
    oomKilled: async () => {
      const events = await readFile(path.join(dir, "memory.events"), "utf8").catch(() => "");
      return /^oom_kill [1-9]/m.test(events);
    },
    processLimitHit: () => maxEvents(path.join(dir, "pids.events")),
    remove: () => removeGroup(dir),
  };
}

async function createV1(name: string, limits: SandboxLimits): Promise<BuildCgroup> {
  const memory = path.join(V1_MEMORY, "miaobu-builds", name);
  await mkdir(memory, { recursive: true });
  await writeFile(path.join(memory, "memory.limit_in_bytes"), String(limits.memoryBytes));
  let pids: string | null = path.join(V1_PIDS, "miaobu-builds", name);
  try {
    await mkdir(pids, { recursive: true });
    await writeFile(path.join(pids, "pids.max"), String(limits.processes));
  } catch {
    pids = null;
  }
  return {
    procsFiles: [path.join(memory, "cgroup.procs"), ...(pids ? [path.join(pids, "cgroup.procs")] : [])],
    oomKilled: async () => {
      const control = await readFile(path.join(memory, "memory.oom_control"), "utf8").catch(() => "");
      const failures = await readFile(path.join(memory, "memory.failcnt"), "utf8").catch(() => "0");
      return /^oom_kill [1-9]/m.test(control) || Number(failures.trim()) > 0;
    },
    processLimitHit: async () => (pids ? maxEvents(path.join(pids, "pids.events")) : false),
    remove: async () => {
      await removeGroup(memory);
      if (pids) await removeGroup(pids);
    },
  };
}

/** Where a v2 builder keeps its builds' groups: under its own group. */
async function v2Parent(): Promise<string> {
  const own = (await readFile("/proc/self/cgroup", "utf8")).match(/^0::(.*)$/m)?.[1]?.trim() ?? "/";
  return path.join(V2, own, "miaobu-builds");
}

/** Whether a `pids.events` file counts refused forks (`max N`, N > 0). */
async function maxEvents(file: string): Promise<boolean> {
  return /^max [1-9]/m.test(await readFile(file, "utf8").catch(() => ""));
}

/** Removes the empty build cgroups of builders that are gone (names end with the builder's pid). */
export async function removeStaleCgroups(): Promise<void> {
  const parents = [path.join(V1_MEMORY, "miaobu-builds"), path.join(V1_PIDS, "miaobu-builds")];
  if (existsSync(path.join(V2, "cgroup.controllers"))) parents.push(await v2Parent());
  for (const parent of parents) {
    for (const name of await readdir(parent).catch(() => [] as string[])) {
      const pid = Number(/-(\d+)$/.exec(name)?.[1]);
      if (!pid || processAlive(pid)) continue;
      await rmdir(path.join(parent, name)).catch(() => undefined);
    }
  }
}

/** Removes a cgroup once its processes are gone (the kernel refuses while any remain). */
async function removeGroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY") throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
