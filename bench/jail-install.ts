// bench/jail-install: where a cold `npm install` spends its time in the build jail (docs/builder.md, "Where
// install time goes"). Runs the same install, with an empty npm cache each time, bare and in the builder's
// own jail, through the builder's classes, one thing varied at a time; prints each run and the medians.
//
//   node bench/jail-install.ts <project folder with package-lock.json> [--rounds 2] [variant …]
//
// A variant is comma-separated `key=value` pairs, by default the builder's own jail:
//   jail=none|host|internet   no jail (as root), the jail on the host's network, the jail behind slirp4netns
//   disk=host|ext4            a plain folder of the host's disk, or the builder's loop-mounted image
//   fs=nojournal|journal|journal-nobarrier   another image than the builder's (jail-probes.ts)
//   cgroup=on|off             the build's memory and pids cgroup
//   run=install|reinstall|fetch|rebuild   a cold install; `rm -rf node_modules` and install again from the
//                             cache just filled (only the second is timed); only download every tarball;
//                             install and build, then build again (only the second build is timed)
//   path=<dir>|npm@<version>  put another Node or npm first on PATH
//   hosts=<ip>:<name>         resolve a name in the jail's /etc/hosts instead of DNS
//   <NAME>=<value>            any other variable for npm (`npm_config_maxsockets=50`)
// Runs go round-robin over the variants, so the machine's noise spreads over all of them; each prints
// its CPU time, slirp4netns' CPU time, the cgroup's peak memory and npm's own timers. Needs root.
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runProcess } from "../containers/builder/src/process.ts";
import { buildEnvironment } from "../containers/builder/src/sandbox/environment.ts";
import { Jail } from "../containers/builder/src/sandbox/jail.ts";
import { createCgroup, DEFAULT_LIMITS } from "../containers/builder/src/sandbox/limits.ts";
import { unmountUnder } from "../containers/builder/src/sandbox/mounts.ts";
import { SLIRP_DNS } from "../containers/builder/src/sandbox/network.ts";
import { systemLayout } from "../containers/builder/src/sandbox/probe.ts";
import { ensureUser } from "../containers/builder/src/sandbox/users.ts";
import { createWorkspace, JAIL_ROOT } from "../containers/builder/src/sandbox/workspace.ts";
import { writeNpmrc } from "../containers/builder/src/steps.ts";
import { installTool, resolveToolchain, type ToolchainInput } from "../containers/builder/src/toolchain.ts";
import { leaseUserName } from "../containers/builder/src/user-lease.ts";
import { FETCH_SCRIPT, FILESYSTEMS, JAIL_FETCH, mountOther, watchSlirp } from "./jail-probes.ts";
import { median } from "./load.ts";

interface Variant {
  label: string;
  jail: "none" | "host" | "internet";
  disk: "host" | "ext4";
  cgroup: boolean;
  run: "install" | "reinstall" | "fetch" | "rebuild";
  /** Folders put first on PATH: another Node or npm than the build's. */
  pathFirst: string[];
  /** Another filesystem than the builder's for the workspace (`FILESYSTEMS`), or null for the builder's. */
  fs: string | null;
  /** Lines added to the jail's /etc/hosts (a name resolved without DNS). */
  hosts: string;
  env: Record<string, string>;
}

function parseVariant(spec: string): Variant {
  const variant: Variant = {
    label: spec,
    jail: "internet",
    disk: "ext4",
    cgroup: true,
    run: "install",
    pathFirst: [],
    fs: null,
    hosts: "",
    env: {},
  };
  for (const pair of spec.split(",").filter(Boolean)) {
    const [key = "", ...rest] = pair.split("=");
    const value = rest.join("=");
    if (key === "jail" && (value === "none" || value === "host" || value === "internet"))
      variant.jail = value;
    else if (key === "disk" && (value === "host" || value === "ext4")) variant.disk = value;
    else if (key === "cgroup") variant.cgroup = value === "on";
    else if (key === "run" && ["install", "reinstall", "fetch", "rebuild"].includes(value))
      variant.run = value as Variant["run"];
    else if (key === "path") variant.pathFirst.push(value);
    else if (key === "fs" && value in FILESYSTEMS) variant.fs = value;
    else if (key === "hosts") variant.hosts += `${value.replace(":", " ")}\n`;
    else if (/^[A-Za-z_][\w]*$/.test(key)) variant.env[key] = value;
    else throw new Error(`bad variant part ${pair}`);
  }
  return variant;
}

const args = process.argv.slice(2);
const project = path.resolve(args.shift() ?? "");
let rounds = 2;
const specs: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--rounds") rounds = Number(args[++i]);
  else specs.push(args[i] ?? "");
}
if (!project || specs.length === 0) {
  console.error("usage: node bench/jail-install.ts <project> [--rounds N] <variant> …");
  process.exit(2);
}
const variants = specs.map(parseVariant);

const base = path.join(os.tmpdir(), `miaobu-jail-install-${process.pid}`);
const workDir = path.join(base, "work");
const toolsDir = path.join(base, "tools");
await mkdir(toolsDir, { recursive: true });
await runProcess("chmod", ["711", base], { cwd: "/", env: { PATH: "/usr/bin:/bin" } });
const layout = await systemLayout();
const user = await ensureUser(leaseUserName("miaobu-build", 77));
const ownBin = path.dirname(process.execPath);
// The same Node and npm a build of this project would get (engines.node of the project, else ours).
const engines = JSON.parse(await readFile(path.join(project, "package.json"), "utf8")).engines?.node ?? null;
const toolInput: ToolchainInput = {
  nodeVersion: engines,
  packageManager: "npm",
  packageManagerVersion: null,
  toolsDir,
  log: (_stream, text) => console.log(`  ${text}`),
};
const toolchain = await resolveToolchain(toolInput);
console.log(`toolchain: ${toolchain.notes.join(", ")}; PATH ${toolchain.pathDirs.join(":")}`);
const cafile = process.env.NODE_EXTRA_CA_CERTS;
/** The `.bin` folder of another npm (`npm@10`), installed into the tools folder as the builder does. */
function npmBin(spec: string): Promise<string> {
  return installTool(spec, { ...toolInput, packageManager: "npm" });
}

/** One timed run of `variant` in a new workspace; returns its seconds and what it measured besides. */
async function once(variant: Variant, round: number): Promise<{ seconds: number; timers: string }> {
  const name = `slot-${round}`;
  const workspace = await createWorkspace({
    workDir,
    name,
    user: variant.jail === "none" ? undefined : user,
    diskBytes: DEFAULT_LIMITS.diskBytes,
    mount: variant.disk === "ext4" && variant.fs === null,
    inside: variant.jail === "none" ? null : JAIL_ROOT,
  });
  const unmountOther = variant.fs
    ? await mountOther(workspace, variant.fs, variant.jail === "none" ? undefined : user)
    : null;
  const src = path.join(workspace.host, "src");
  const home = path.join(workspace.host, "home");
  await cp(project, src, { recursive: true });
  // The builder's own ~/.npmrc (its defaults, then the operator's CA bundle), for bare runs too.
  await writeNpmrc(
    workspace.host,
    variant.jail === "none" ? undefined : user,
    cafile ? `cafile=${cafile}` : null,
  );
  const env = buildEnvironment({
    pathDirs: [
      ...(await Promise.all(variant.pathFirst.map((dir) => (dir.startsWith("npm@") ? npmBin(dir) : dir)))),
      ...toolchain.pathDirs,
    ],
    home: `${workspace.inside}/home`,
    env: {
      npm_config_timing: "true",
      // The fetch probe is plain Node, which needs the machine's CA bundle as npm's `cafile` gets it.
      ...(variant.run === "fetch" && cafile ? { NODE_EXTRA_CA_CERTS: cafile } : {}),
      ...variant.env,
    },
    metadata: { deploymentId: "bench", branch: "main", commit: "0", project: "bench" },
  });
  const lines: string[] = [];
  const onLine = (_stream: "stdout" | "stderr", text: string) => lines.push(text);
  const cgroup =
    variant.cgroup && variant.jail !== "none"
      ? await createCgroup(`bench-${name}-${process.pid}`, DEFAULT_LIMITS)
      : null;
  const etcDir = path.join(base, "etc");
  await mkdir(etcDir, { recursive: true, mode: 0o755 });
  await writeFile(
    path.join(etcDir, "passwd"),
    `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nbuild:x:${user.uid}:${user.gid}:build:${JAIL_ROOT}/home:/bin/sh\n`,
  );
  await writeFile(path.join(etcDir, "group"), `root:x:0:\nbuild:x:${user.gid}:\n`);
  await writeFile(
    path.join(etcDir, "hosts"),
    `127.0.0.1 localhost miaobu-build\n::1 localhost ip6-localhost\n${variant.hosts}`,
  );
  await writeFile(path.join(etcDir, "resolv.conf"), `nameserver ${SLIRP_DNS}\n`);
  const jail = new Jail({
    mode: variant.jail === "none" ? { kind: "unsafe" } : { kind: "bwrap", layout },
    workspace,
    user: variant.jail === "none" ? undefined : user,
    limits: DEFAULT_LIMITS,
    readOnly: [toolsDir, ownBin],
    etcDir,
    cgroup,
  });
  const command =
    variant.run === "fetch"
      ? `node ${JAIL_FETCH}`
      : variant.run === "reinstall"
        ? "sh -c 'rm -rf node_modules && npm install --offline'"
        : variant.run === "rebuild"
          ? "npm run build"
          : "npm install";
  if (variant.run === "fetch") await writeFile(path.join(src, JAIL_FETCH), FETCH_SCRIPT);
  if (variant.jail !== "none")
    await runProcess("chown", ["-R", `${user.uid}:${user.gid}`, workspace.host], {
      cwd: "/",
      env: { PATH: "/usr/bin:/bin" },
    });
  const network = variant.jail === "host" ? "host" : variant.jail === "internet" ? "internet" : "none";
  if (variant.run === "reinstall" || variant.run === "rebuild") {
    // Untimed: the first install (and build), whose work the timed step does again.
    const first = await jail.run({
      command: "sh",
      args: ["-c", variant.run === "rebuild" ? "npm install && npm run build" : "npm install"],
      cwd: `${workspace.inside}/src`,
      env,
      network,
      onLine,
    });
    if (first.code !== 0) throw new Error(`the first install failed:\n${lines.join("\n")}`);
  }
  const slirp = watchSlirp();
  const started = performance.now();
  let seconds = 0;
  try {
    const result = await jail.run({
      command: "sh",
      args: ["-c", `/usr/bin/time -f 'CPU %U %S' ${command}`],
      cwd: `${workspace.inside}/src`,
      env,
      network,
      onLine,
    });
    seconds = (performance.now() - started) / 1000;
    if (result.code !== 0) throw new Error(`${command} failed (${result.code}):\n${lines.join("\n")}`);
    const logs = path.join(home, ".npm", "_logs");
    const newest = (await readdir(logs).catch(() => []))
      .filter((file) => file.endsWith("debug-0.log"))
      .sort()
      .at(-1);
    const text = newest ? await readFile(path.join(logs, newest), "utf8") : "";
    const timer = (name: string) =>
      [...text.matchAll(/timing (\S+) Completed in (\d+)ms/g)].filter((m) => m[1] === name).at(-1)?.[2];
    const cpu = lines.map((line) => /^CPU ([\d.]+) ([\d.]+)$/.exec(line)).find(Boolean);
    const group = cgroup?.procsFiles[0] ? path.dirname(cgroup.procsFiles[0]) : null;
    const peak = group
      ? await readFile(path.join(group, "memory.max_usage_in_bytes"), "utf8")
          .catch(() => readFile(path.join(group, "memory.peak"), "utf8"))
          .catch(() => "")
      : "";
    const parts = [
      peak ? `peak ${(Number(peak) / 2 ** 30).toFixed(2)} GiB` : "",
      cpu ? `cpu ${(Number(cpu[1]) + Number(cpu[2])).toFixed(1)} (sys ${cpu[2]})` : "",
      `slirp ${slirp.stop().toFixed(1)}`,
      ...["idealTree", "reify:unpack", "reify:audit", "reify:build"].map((name) => {
        const ms = timer(name);
        return ms ? `${name} ${(Number(ms) / 1000).toFixed(1)}` : "";
      }),
      lines.find((line) => line.startsWith("fetched")) ?? "",
    ];
    return { seconds, timers: parts.filter(Boolean).join(" · ") };
  } finally {
    await cgroup?.remove().catch(() => undefined);
    await unmountOther?.();
    await workspace.remove();
  }
}

const results = new Map<string, number[]>(variants.map((v) => [v.label, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const { seconds, timers } = await once(variant, round);
      results.get(variant.label)?.push(seconds);
      console.log(`${variant.label}\tround ${round + 1}\t${seconds.toFixed(1)} s\t${timers}`);
    }
  }
} finally {
  await unmountUnder(base);
  await rm(base, { recursive: true, force: true });
}
console.log("\nvariant\tmedian\truns");
for (const [label, times] of results)
  console.log(`${label}\t${median(times).toFixed(1)} s\t${times.map((t) => t.toFixed(1)).join(" ")}`);
