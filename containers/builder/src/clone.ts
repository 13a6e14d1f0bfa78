import type { GitSource } from "./protocol.ts";
import { operatorNetworkEnv } from "./sandbox/environment.ts";
import type { Jail } from "./sandbox/jail.ts";

/** A failure the user can act on; its message goes to the log and the deployment's error. */
export class BuildFailure extends Error {}

export interface CloneContext {
  /** The build's jail: git runs in it as the build user, on the host's network (it runs no repository code). */
  jail: Jail;
  /** The URL to fetch, already vetted by the git URL policy, with the addresses git must use for its host. */
  vetted?: { url: string; pins: readonly string[] };
  signal?: AbortSignal;
  log: (stream: "stdout" | "stderr" | "system", text: string) => void;
}

/**
 * Fetches exactly one commit (or the branch head) with depth 1 into `dir` (a path inside the jail) and
 * checks it out. Credentials in the URL never reach a command line or a file the build can read: git gets
 * them as an HTTP header through its environment, and the build's own steps start with a fresh one.
 */
export async function cloneSource(
  source: GitSource,
  dir: string,
  context: CloneContext,
): Promise<{ commit: string; message: string }> {
  const { url, header } = splitCredentials(context.vetted?.url ?? source.url);
  const config: [string, string][] = [
    // Redirects were followed and vetted before: git must not follow one to somewhere else.
    ["http.followRedirects", "false"],
    ["protocol.allow", "never"],
    ["protocol.https.allow", "always"],
    ["protocol.http.allow", "always"],
    ["protocol.git.allow", "always"],
    ["core.symlinks", "true"],
  ];
  if (header) config.push(["http.extraHeader", header]);
  for (const pin of context.vetted?.pins ?? []) config.push(["http.curloptResolve", pin]);
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    // Not the build's home, which a kept workspace carries over from the last build (its .netrc, say): git
    // fetches with the host's network, so nothing a build wrote may steer it. `tmp` starts empty.
    HOME: `${context.jail.workspace.inside}/tmp`,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_LFS_SKIP_SMUDGE: "1",
    GIT_CONFIG_COUNT: String(config.length),
    ...operatorNetworkEnv(),
  };
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  // Two jailed steps, not five: each launch of the sandbox costs tens of milliseconds.
  const git = async (script: string, args: string[], network: "host" | "none", out?: string[]) => {
    const stderr: string[] = [];
    const result = await context.jail.run({
      command: "sh",
      args: ["-c", script, "git", ...args],
      cwd: dir,
      env,
      network,
      ...(context.signal ? { signal: context.signal } : {}),
      onLine: (stream, text) => {
        if (stream === "stderr") stderr.push(text);
        if (stream === "stdout" && out) out.push(text);
        else context.log(stream, text);
      },
    });
    return { ok: result.code === 0, stderr };
  };
  const ref = source.commit ?? `refs/heads/${source.branch}`;
  context.log(
    "system",
    `Fetching ${source.commit ? `commit ${source.commit}` : `branch ${source.branch}`} from ${url}`,
  );
  // Nothing of the repository is on disk yet, so no repository code can run while the host's network is on.
  const fetched = await git(
    [
      "git init --quiet --initial-branch main . >/dev/null 2>&1 || exit 1",
      'git remote add origin "$1" || exit 1',
      'exec git fetch --depth 1 --no-tags --no-write-fetch-head origin "+$2:refs/remotes/origin/build"',
    ].join("\n"),
    [url, ref],
    "host",
  );
  if (!fetched.ok) {
    const why =
      fetched.stderr.filter((line) => /fatal|error/i.test(line)).pop() ?? fetched.stderr.pop() ?? "";
    const what = source.commit ? `commit ${source.commit}` : `branch ${source.branch}`;
    throw new BuildFailure(
      `could not fetch ${what} from ${url}: it does not exist or is not reachable (${why.trim()})`,
    );
  }
  const info: string[] = [];
  const checkout = await git(
    [
      "git checkout --quiet --detach refs/remotes/origin/build || exit 1",
      "exec git log -1 --format=%H%n%s",
    ].join("\n"),
    [],
    "none",
    info,
  );
  if (!checkout.ok) throw new BuildFailure(`could not check out ${ref}: ${checkout.stderr.join(" ").trim()}`);
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
