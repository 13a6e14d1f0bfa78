// Whether this machine can jail builds, and if not, what the operator should do about it.
import { access, lstat, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { type RunAs, runProcess } from "../process.ts";
import { hardLimits } from "./limits.ts";

/** The programs and the read-only view of the system that every jail gets. */
export interface SystemLayout {
  bwrap: string;
  prlimit: string;
  setpriv: string;
  /** The builder's own hard rlimits: a jail's can only be lower. */
  hardLimits: ReadonlyMap<string, number>;
  /** bwrap arguments showing `/usr`, the merged-/usr links and the harmless parts of `/etc`, read-only. */
  systemArgs: string[];
}

/** The operator's explicit choice to build without a sandbox (docs/security.md). */
export const UNSAFE_VARIABLE = "MIAOBU_UNSAFE_NO_SANDBOX";

const SEARCH = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"];
const INSTALL_HINT =
  "install bubblewrap and slirp4netns (`apt-get install -y bubblewrap slirp4netns`, which `scripts/ensure-sandbox.sh` runs as root)";
const UNSAFE_HINT = `or set ${UNSAFE_VARIABLE}=1 to run builds without a sandbox, only if every repository built here is trusted`;

/** Etc files a build may read: TLS roots, name service switch, time zone, Debian's alternatives links. */
const ETC = [
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/pki",
  "/etc/alternatives",
  "/etc/nsswitch.conf",
  "/etc/host.conf",
  "/etc/localtime",
  "/etc/mime.types",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
];

/** A problem that stops builds here, with the fix in its message. */
export class SandboxUnavailable extends Error {}

async function find(name: string): Promise<string | null> {
  for (const dir of SEARCH) {
    const file = path.join(dir, name);
    try {
      await access(file);
      return file;
    } catch {
      // Next.
    }
  }
  return null;
}

/** Finds bwrap, slirp4netns and friends, and lays out the system view; throws `SandboxUnavailable`. */
export async function systemLayout(): Promise<SystemLayout> {
  const found = new Map<string, string | null>();
  for (const name of ["bwrap", "slirp4netns", "prlimit", "setpriv", "nsenter", "ip"])
    found.set(name, await find(name));
  const missing = [...found].filter(([, file]) => file === null).map(([name]) => name);
  if (missing.length > 0)
    throw new SandboxUnavailable(
      `builds cannot be sandboxed: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not installed; ${INSTALL_HINT}, ${UNSAFE_HINT}`,
    );
  const systemArgs = ["--ro-bind", "/usr", "/usr"];
  for (const dir of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    const info = await lstat(dir).catch(() => null);
    if (!info) continue;
    if (info.isSymbolicLink()) systemArgs.push("--symlink", await readlink(dir), dir);
    else if (info.isDirectory()) systemArgs.push("--ro-bind", dir, dir);
  }
  for (const file of ETC) systemArgs.push("--ro-bind-try", file, file);
  return {
    bwrap: found.get("bwrap") ?? "bwrap",
    prlimit: found.get("prlimit") ?? "prlimit",
    setpriv: found.get("setpriv") ?? "setpriv",
    hardLimits: hardLimits(await readFile("/proc/self/limits", "utf8").catch(() => "")),
    systemArgs,
  };
}

/**
 * Starts an empty jail as `user` to prove that user namespaces work here; throws `SandboxUnavailable`
 * with bwrap's own complaint otherwise.
 */
export async function proveJail(layout: SystemLayout, user: RunAs | undefined): Promise<void> {
  const errors: string[] = [];
  const result = await runProcess(
    layout.bwrap,
    [
      "--unshare-all",
      "--unshare-user",
      "--disable-userns",
      "--die-with-parent",
      ...layout.systemArgs,
      "--",
      "/usr/bin/true",
    ],
    {
      cwd: "/",
      env: { PATH: "/usr/bin:/bin" },
      ...(user ? { user } : {}),
      onLine: (stream, text) => {
        if (stream === "stderr") errors.push(text);
      },
    },
  );
  if (result.code !== 0)
    throw new SandboxUnavailable(
      `builds cannot be sandboxed: bubblewrap could not make a sandbox (${errors.join(" ").trim() || `exit ${result.code}`}); the kernel must allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0), ${UNSAFE_HINT}`,
    );
}
