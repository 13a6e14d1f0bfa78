import { readFile } from "node:fs/promises";
import { type RunAs, runProcess } from "../process.ts";

/** True when the builder runs as root, so it can switch users, mount and set up namespaces. */
export const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** The uid and gid of a user, creating it (no home, no shell) when it does not exist. */
export async function ensureUser(name: string): Promise<RunAs> {
  const found = await lookupUser(name);
  if (found) return found;
  // useradd locks /etc/passwd; another builder creating its user at the same moment makes it fail once.
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await createUser(name);
    const created = await lookupUser(name);
    if (created) return created;
    if (attempt === 4) {
      throw new Error(`could not create the build user ${name} (useradd exited with ${result.code})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
  }
  throw new Error(`could not create the build user ${name}`);
}

function createUser(name: string) {
  return runProcess(
    "useradd",
    [
      "--system",
      "--user-group",
      "--no-create-home",
      "--home-dir",
      "/nonexistent",
      "--shell",
      "/usr/sbin/nologin",
      name,
    ],
    { cwd: "/", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } },
  );
}

async function lookupUser(name: string): Promise<RunAs | null> {
  const passwd = await readFile("/etc/passwd", "utf8");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}
