// What bench/jail-install varies and measures beyond the builder's own classes: other workspace images,
// a download-only probe, and the CPU time of slirp4netns.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { type RunAs, runProcess } from "../containers/builder/src/process.ts";
import { DEFAULT_LIMITS } from "../containers/builder/src/sandbox/limits.ts";
import type { Workspace } from "../containers/builder/src/sandbox/workspace.ts";

/** Workspace images to compare with the builder's own: `mkfs.ext4` arguments and mount options. */
export const FILESYSTEMS: Record<string, { mkfs: string[]; mount: string }> = {
  // The builder's image until the journal was found to matter (docs/builder.md).
  nojournal: { mkfs: ["-O", "^has_journal", "-E", "lazy_itable_init=1,lazy_journal_init=1"], mount: "" },
  journal: { mkfs: ["-E", "lazy_itable_init=1,lazy_journal_init=1"], mount: "" },
  "journal-nobarrier": { mkfs: ["-E", "lazy_itable_init=1,lazy_journal_init=1"], mount: ",nobarrier" },
};

/**
 * Mounts a fresh image with `FILESYSTEMS[name]` over a workspace made without one, as the builder's
 * `mountImage` does with its own options; returns what unmounts it.
 */
export async function mountOther(
  workspace: Workspace,
  name: string,
  owner: RunAs | undefined,
): Promise<() => Promise<void>> {
  const fs = FILESYSTEMS[name];
  if (!fs) throw new Error(`no filesystem ${name}`);
  const image = path.join(workspace.private, "bench.img");
  const system = { cwd: "/", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } };
  const must = async (command: string, args: string[]) => {
    const result = await runProcess(command, args, system);
    if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.code}`);
  };
  await must("truncate", ["-s", `${DEFAULT_LIMITS.diskBytes / 2 ** 20}M`, image]);
  await must("mkfs.ext4", ["-q", "-F", "-m", "0", ...fs.mkfs, image]);
  await must("mount", ["-o", `loop,nosuid,nodev,noatime${fs.mount}`, image, workspace.host]);
  await rm(path.join(workspace.host, "lost+found"), { recursive: true, force: true });
  for (const dir of ["src", "home", "tmp"]) await mkdir(path.join(workspace.host, dir), { mode: 0o700 });
  if (owner) await must("chown", ["-R", `${owner.uid}:${owner.gid}`, workspace.host]);
  return async () => {
    await must("umount", [workspace.host]);
    await rm(image, { force: true });
  };
}

/** A download-only probe: every tarball of the lockfile, 15 at a time, as npm's agent would; no disk. */
export const JAIL_FETCH = ".bench-fetch.mjs";
export const FETCH_SCRIPT = `import https from "node:https";
import fs from "node:fs";
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
const urls = Object.values(lock.packages).map((p) => p.resolved).filter(Boolean);
const agent = new https.Agent({ keepAlive: true, maxSockets: 15 });
let bytes = 0;
let next = 0;
const get = (url) => new Promise((resolve, reject) => {
  https.get(url, { agent }, (res) => {
    res.on("data", (chunk) => { bytes += chunk.length; });
    res.on("end", resolve);
    res.on("error", reject);
  }).on("error", reject);
});
const worker = async () => { while (next < urls.length) await get(urls[next++]); };
await Promise.all(Array.from({ length: 15 }, worker));
console.log("fetched " + urls.length + " tarballs, " + (bytes / 1e6).toFixed(1) + " MB");
`;
/** Sums the CPU seconds of the slirp4netns processes this bench starts, sampled until `stop`. */
export function watchSlirp(): { stop(): number } {
  const ticks = new Map<string, number>();
  const sample = async () => {
    for (const pid of await readdir("/proc").catch(() => [] as string[])) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (!stat.includes("(slirp4netns)") || Number(fields[1]) !== process.pid) continue;
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    }
  };
  const timer = setInterval(() => void sample(), 250);
  return {
    stop() {
      clearInterval(timer);
      return [...ticks.values()].reduce((a, b) => a + b, 0) / 100;
    },
  };
}
