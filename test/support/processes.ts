// The processes of this machine, for suites that check what a build left running.
import { readdirSync, readFileSync } from "node:fs";

/** Live host processes (zombies left out) whose command line, arguments joined by spaces, contains `marker`. */
export function processesWith(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    let status: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, "latin1").replaceAll("\0", " ");
      status = readFileSync(`/proc/${name}/status`, "latin1");
    } catch {
      continue; // Gone meanwhile.
    }
    if (cmdline.includes(marker) && !/^State:\s+Z/m.test(status)) found.push({ pid: Number(name), cmdline });
  }
  return found;
}

/** Live host processes whose whole command line is `command` (arguments joined by spaces). */
export function processesRunning(command: string): number[] {
  return processesWith(command)
    .filter((found) => found.cmdline.trimEnd() === command)
    .map((found) => found.pid);
}
