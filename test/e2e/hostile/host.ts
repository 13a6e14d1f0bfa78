// What a hostile build may have left on the host: processes, files, and root-only folders to aim at.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { processesWith } from "../../support/processes.ts";

export { processesWith };

/** A marker unique to this run, safe in file names and command lines. */
export function nonce(): string {
  return randomBytes(6).toString("hex");
}

/**
 * Host processes with `marker` that remain once the builder has had a moment to finish the build it
 * already reported ended (its jail is torn down right after the final status); [] when none remain.
 */
export async function processesLeftWith(marker: string, graceMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = processesWith(marker);
    if (left.length === 0 || Date.now() > deadline) return left.map((p) => `${p.pid}: ${p.cmdline}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Kills what `processesWith(marker)` finds, so a failed test does not leave its build's processes behind. */
export function killProcessesWith(marker: string): void {
  for (const { pid } of processesWith(marker)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** A host process outside any build, with `marker` in its argv and `env` in its environment. */
export function startSentinel(marker: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)", marker], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: "ignore",
    detached: true,
  });
  child.unref();
  return child;
}

/** A 0700 root folder holding a 0600 root file with a secret line; returns both and the secret. */
export function rootOnlyFolder(label: string): { dir: string; file: string; secret: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `miaobu-hostile-${label}-`));
  chmodSync(dir, 0o700);
  const secret = `root-only-${nonce()}`;
  const file = path.join(dir, "secret.txt");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { dir, file, secret };
}

/** Every entry under `dir` (not following links) with its type, mode, owner and content hash. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (at: string, rel: string) => {
    const info = lstatSync(at);
    let what = `${info.mode.toString(8)} ${info.uid}:${info.gid}`;
    if (info.isFile()) what += ` ${createHash("sha256").update(readFileSync(at)).digest("hex")}`;
    out[rel] = what;
    if (info.isDirectory()) for (const name of readdirSync(at)) visit(path.join(at, name), `${rel}/${name}`);
  };
  visit(dir, ".");
  return out;
}

/** Regular files under `dir` (not following links) that take at least `bytes` of disk. */
export function filesTakingAtLeast(dir: string, bytes: number): string[] {
  const found: string[] = [];
  const visit = (at: string) => {
    let info: ReturnType<typeof lstatSync>;
    try {
      info = lstatSync(at);
    } catch {
      return; // Removed meanwhile.
    }
    if (info.isFile() && info.blocks * 512 >= bytes)
      found.push(`${at} (${Math.round(info.size / 2 ** 20)} MB)`);
    if (!info.isDirectory()) return;
    let names: string[] = [];
    try {
      names = readdirSync(at);
    } catch {
      return;
    }
    for (const name of names) visit(path.join(at, name));
  };
  visit(dir);
  return found;
}
