import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { type RunAs, runProcess } from "./process.ts";

/** The folders of one build slot: the checkout and HOME (the build's), and a builder-only folder. */
export interface Sandbox {
  /** Owned by the build user: everything the build may touch. */
  root: string;
  src: string;
  home: string;
  /** Owned by the builder, unreadable by the build: compressed variants, archives. */
  private: string;
  user: RunAs | undefined;
}

/** True when the builder can switch users (it runs as root). */
export const canSwitchUser = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

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

/**
 * Makes an empty sandbox for a slot. The slot's path never changes, so absolute paths tools record
 * in node_modules stay right when the dependency cache is restored into a later build.
 */
export async function prepareSandbox(
  workDir: string,
  slot: number,
  user: RunAs | undefined,
): Promise<Sandbox> {
  await mkdir(workDir, { recursive: true });
  // Others may pass through to their own slot but not list the folder.
  await chmod(workDir, 0o711);
  const root = path.join(workDir, `slot-${slot}`);
  const privateDir = path.join(workDir, ".private", `slot-${slot}`);
  await rm(root, { recursive: true, force: true });
  await rm(privateDir, { recursive: true, force: true });
  await mkdir(root, { mode: 0o700 });
  await mkdir(path.join(root, "src"));
  await mkdir(path.join(root, "home"));
  await mkdir(path.join(workDir, ".private"), { recursive: true, mode: 0o700 });
  await chmod(path.join(workDir, ".private"), 0o700);
  await mkdir(privateDir, { mode: 0o700 });
  return { root, src: path.join(root, "src"), home: path.join(root, "home"), private: privateDir, user };
}

/** Gives the sandbox's files to the build user (after the clone and cache restore, done as the builder). */
export async function handOver(sandbox: Sandbox): Promise<void> {
  if (!sandbox.user) return;
  const owner = `${sandbox.user.uid}:${sandbox.user.gid}`;
  const result = await runProcess("chown", ["-R", owner, sandbox.root], {
    cwd: "/",
    env: { PATH: "/usr/bin:/bin" },
  });
  if (result.code !== 0)
    throw new Error(`could not hand the work folder to the build user (chown exited ${result.code})`);
}

/** Removes a sandbox. */
export async function removeSandbox(sandbox: Sandbox): Promise<void> {
  await rm(sandbox.root, { recursive: true, force: true });
  await rm(sandbox.private, { recursive: true, force: true });
}

/**
 * The whole environment of the install and build steps: PATH, HOME, CI=1, the project's variables and
 * MIAOBU_* metadata, nothing else. Platform values are set last so a project variable cannot replace them.
 */
export function buildEnvironment(input: {
  pathDirs: readonly string[];
  home: string;
  env: Record<string, string>;
  metadata: { deploymentId: string; branch: string; commit: string; project: string };
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.env)) {
    if (!key.startsWith("MIAOBU_")) env[key] = value;
  }
  env.PATH = [...new Set(input.pathDirs)].join(":");
  env.HOME = input.home;
  env.CI = "1";
  env.MIAOBU_DEPLOYMENT_ID = input.metadata.deploymentId;
  env.MIAOBU_BRANCH = input.metadata.branch;
  env.MIAOBU_COMMIT = input.metadata.commit;
  env.MIAOBU_PROJECT = input.metadata.project;
  return env;
}

/** TLS and proxy settings of the machine, for the builder's own git and npm calls (never for builds). */
export function operatorNetworkEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of [
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GIT_SSL_CAINFO",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
  ]) {
    const value = process.env[key];
    if (value) env[key] = value;
  }
  return env;
}
