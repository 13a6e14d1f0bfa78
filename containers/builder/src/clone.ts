import { mkdir } from "node:fs/promises";
import path from "node:path";
import { runProcess } from "./process.ts";
import type { GitSource } from "./protocol.ts";
import { operatorNetworkEnv } from "./sandbox.ts";

/** A failure the user can act on; its message goes to the log and the deployment's error. */
export class BuildFailure extends Error {}

export interface CloneContext {
  /** An empty folder only the builder uses, for git's HOME. */
  scratch: string;
  signal?: AbortSignal;
  log: (stream: "stdout" | "stderr" | "system", text: string) => void;
}

/**
 * Fetches exactly one commit (or the branch head) with depth 1 into `dir` and checks it out.
 * Credentials in the URL never reach a command line or a file the build can read: git gets them
 * as an HTTP header through its environment, which only the builder's user can read.
 */
export async function cloneSource(
  source: GitSource,
  dir: string,
  context: CloneContext,
): Promise<{ commit: string; message: string }> {
  const { url, header } = splitCredentials(source.url);
  const home = path.join(context.scratch, "git-home");
  await mkdir(home, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_LFS_SKIP_SMUDGE: "1",
    ...operatorNetworkEnv(),
  };
  if (header) {
    env.GIT_CONFIG_COUNT = "1";
    env.GIT_CONFIG_KEY_0 = "http.extraHeader";
    env.GIT_CONFIG_VALUE_0 = header;
  }
  const git = async (args: string[], quiet = false) => {
    const stderr: string[] = [];
    const result = await runProcess("git", args, {
      cwd: dir,
      env,
      ...(context.signal ? { signal: context.signal } : {}),
      onLine: (stream, text) => {
        if (stream === "stderr") stderr.push(text);
        if (!quiet) context.log(stream, text);
      },
    });
    return { ok: result.code === 0, stderr };
  };
  await git(["init", "--quiet", "--initial-branch", "main", "."], true);
  await git(["remote", "add", "origin", url], true);
  const ref = source.commit ?? `refs/heads/${source.branch}`;
  context.log(
    "system",
    `Fetching ${source.commit ? `commit ${source.commit}` : `branch ${source.branch}`} from ${url}`,
  );
  const fetched = await git([
    "fetch",
    "--depth",
    "1",
    "--no-tags",
    "--no-write-fetch-head",
    "origin",
    `+${ref}:refs/remotes/origin/build`,
  ]);
  if (!fetched.ok) {
    const why =
      fetched.stderr.filter((line) => /fatal|error/i.test(line)).pop() ?? fetched.stderr.pop() ?? "";
    const what = source.commit ? `commit ${source.commit}` : `branch ${source.branch}`;
    throw new BuildFailure(
      `could not fetch ${what} from ${url}: it does not exist or is not reachable (${why.trim()})`,
    );
  }
  const checkout = await git(["checkout", "--quiet", "--detach", "refs/remotes/origin/build"]);
  if (!checkout.ok) throw new BuildFailure(`could not check out ${ref}: ${checkout.stderr.join(" ").trim()}`);
  const info: string[] = [];
  await runProcess("git", ["log", "-1", "--format=%H%n%s"], {
    cwd: dir,
    env,
    onLine: (stream, text) => {
      if (stream === "stdout") info.push(text);
    },
  });
  return { commit: info[0] ?? source.commit ?? "", message: info[1] ?? "" };
}

/** `https://user:secret@host/x.git` → the URL without them, and a Basic authorization header. */
export function splitCredentials(raw: string): { url: string; header: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { url: raw, header: null };
  }
  if (parsed.username === "" && parsed.password === "") return { url: raw, header: null };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  const basic = Buffer.from(`${user}:${password}`).toString("base64");
  return { url: parsed.toString(), header: `Authorization: Basic ${basic}` };
}
