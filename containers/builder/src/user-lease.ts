// Build users are shared by every builder process on a machine (users are machine-wide), and a build ends
// by killing every process of its user. Two builders must therefore never use the same user at once: each
// slot leases a user name through a lock file holding the builder's pid, and a lease whose pid is dead is
// taken over.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { processAlive } from "./process.ts";

const LOCK_DIR = path.join(os.tmpdir(), "miaobu-build-users");
const MAX_USERS = 64;
const leased = new Map<number, string>();

function tryLock(file: string): boolean {
  try {
    writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const owner = Number(readFileSync(file, "utf8").trim());
  if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return false;
  // A dead builder's lease: take it over (unlink, then create exclusively, so only one taker wins).
  try {
    unlinkSync(file);
  } catch {
    // another builder took it over first
  }
  try {
    writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

function releaseAll(): void {
  for (const name of leased.values()) {
    try {
      unlinkSync(path.join(LOCK_DIR, `${name}.lock`));
    } catch {
      // already gone
    }
  }
  leased.clear();
}

/** The build user name this builder process uses for `slot`: `{prefix}-{n}`, held by no other builder. */
export function leaseUserName(prefix: string, slot: number): string {
  const held = leased.get(slot);
  if (held) return held;
  mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
  const taken = new Set(leased.values());
  for (let n = 0; n < MAX_USERS; n++) {
    const name = `${prefix}-${n}`;
    if (taken.has(name)) continue;
    if (tryLock(path.join(LOCK_DIR, `${name}.lock`))) {
      if (leased.size === 0) process.once("exit", releaseAll);
      leased.set(slot, name);
      return name;
    }
  }
  throw new Error(`every build user ${prefix}-0…${MAX_USERS - 1} is leased by a running builder`);
}
