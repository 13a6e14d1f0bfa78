// Makes the jail of each build: its workspace, cgroup, /etc files and the read-only folders it sees.
import { mkdir, realpath, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RunAs } from "../process.ts";
import { Jail, type JailMode } from "./jail.ts";
import { createCgroup, removeStaleCgroups, type SandboxLimits } from "./limits.ts";
import { SLIRP_DNS } from "./network.ts";
import { proveJail, SandboxUnavailable, systemLayout, UNSAFE_VARIABLE } from "./probe.ts";
import { isRoot } from "./users.ts";
import { createWorkspace, JAIL_ROOT, type WorkspaceSlot } from "./workspace.ts";

export interface SandboxSettings {
  workDir: string;
  limits: SandboxLimits;
  /** Build without a sandbox (`MIAOBU_UNSAFE_NO_SANDBOX=1`): only for trusted repositories. */
  unsafe: boolean;
  /** Host folders every jail sees read-only at the same path (toolchains, detection code). */
  readOnly: readonly string[];
}

/** The jails of a builder. `open` fails with the fix when this machine cannot sandbox builds. */
export class Sandboxes {
  readonly #settings: SandboxSettings;
  readonly #mode: JailMode | SandboxUnavailable;
  readonly #proven = new Map<string, Promise<void>>();

  private constructor(settings: SandboxSettings, mode: JailMode | SandboxUnavailable) {
    this.#settings = settings;
    this.#mode = mode;
  }

  static async create(settings: SandboxSettings): Promise<Sandboxes> {
    if (settings.unsafe) return new Sandboxes(settings, { kind: "unsafe" });
    try {
      const layout = await systemLayout();
      if (isRoot()) await removeStaleCgroups();
      return new Sandboxes(settings, { kind: "bwrap", layout });
    } catch (error) {
      if (error instanceof SandboxUnavailable) return new Sandboxes(settings, error);
      throw error;
    }
  }

  /** Why builds are refused here, or null when they can run. */
  get problem(): string | null {
    return this.#mode instanceof SandboxUnavailable ? this.#mode.message : null;
  }

  /** A line for the builder's log at start. */
  describe(): string {
    if (this.#mode instanceof SandboxUnavailable) return `warning: ${this.#mode.message}`;
    if (this.#mode.kind === "unsafe")
      return `warning: ${UNSAFE_VARIABLE}=1: builds run WITHOUT a sandbox; build code can read this machine`;
    return "builds run in a bubblewrap sandbox with slirp4netns networking";
  }

  /** The size of each build's work filesystem, or null where it is a plain folder. */
  get diskBytes(): number | null {
    const mode = this.#mode;
    return mode instanceof SandboxUnavailable || mode.kind !== "bwrap" || !isRoot()
      ? null
      : this.#settings.limits.diskBytes;
  }

  /**
   * Makes the jail `name` (a slot) for `user`: a workspace, cgroup and /etc. The workspace is fresh, or
   * the kept one `reuse` puts in the slot (then `workspace.reused`, and the jail must tidy it first).
   */
  async open(
    name: string,
    user: RunAs | undefined,
    reuse?: (slot: WorkspaceSlot) => Promise<boolean>,
  ): Promise<Jail> {
    const mode = this.#mode;
    if (mode instanceof SandboxUnavailable) throw mode;
    const jailed = mode.kind === "bwrap";
    if (jailed) {
      const key = String(user?.uid ?? "self");
      let proof = this.#proven.get(key);
      if (!proof) {
        proof = proveJail(mode.layout, user);
        this.#proven.set(key, proof);
        proof.catch(() => this.#proven.delete(key));
      }
      await proof;
    }
    const { workDir, limits } = this.#settings;
    const workspace = await createWorkspace({
      workDir,
      name,
      user,
      diskBytes: limits.diskBytes,
      mount: jailed && isRoot(),
      inside: jailed ? JAIL_ROOT : null,
      ...(reuse ? { reuse } : {}),
    });
    const etcDir = path.join(workDir, ".etc", name);
    await writeEtc(etcDir, user);
    const cgroup = jailed && isRoot() ? await createCgroup(`${name}-${process.pid}`, limits) : null;
    return new Jail({
      mode,
      workspace,
      user,
      limits,
      readOnly: await existing(this.#settings.readOnly),
      etcDir,
      cgroup,
    });
  }

  /** Removes a jail's workspace (or keeps it at `keepAs`) and cgroup; its processes are already gone. */
  async close(jail: Jail, keepAs?: string): Promise<void> {
    await jail.cgroup?.remove().catch(() => undefined);
    await jail.workspace.remove(keepAs ? { keepAs } : {});
  }
}

/** The jail's own passwd, group, hosts and resolv.conf: the build user by name, slirp4netns' DNS. */
async function writeEtc(dir: string, user: RunAs | undefined): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const uid = user?.uid ?? process.getuid?.() ?? 1000;
  const gid = user?.gid ?? process.getgid?.() ?? 1000;
  const files = {
    passwd: `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nbuild:x:${uid}:${gid}:build:${JAIL_ROOT}/home:/bin/sh\n`,
    group: `root:x:0:\nbuild:x:${gid}:\n`,
    hosts: "127.0.0.1 localhost miaobu-build\n::1 localhost ip6-localhost\n",
    "resolv.conf": `nameserver ${SLIRP_DNS}\n`,
  };
  for (const [name, text] of Object.entries(files))
    await writeFile(path.join(dir, name), text, { mode: 0o644 });
}

async function existing(dirs: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const dir of dirs) {
    const real = await realpath(dir).catch(() => null);
    if (real) out.add(real);
  }
  return [...out];
}
