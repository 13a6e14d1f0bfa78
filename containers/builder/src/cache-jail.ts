// What the build cache does inside the jail, as the build user with no network: everything that reads or
// moves files a build wrote happens here, never in the privileged builder.
import { open, rm, stat } from "node:fs/promises";
import type { Jail } from "./sandbox/jail.ts";

/** Written next to `home` and `src` in an archive: what filled it. */
export const META_FILE = ".miaobu-cache.json";

/**
 * Readies a kept workspace: the last build's checkout moves to `.previous` (its cached folders are moved
 * back once detection has named them), `tmp` starts empty, and `home` is a real folder without the
 * builder's `.npmrc`, so nothing privileged that writes there later can be led elsewhere.
 */
export async function tidyKept(jail: Jail, signal: AbortSignal): Promise<void> {
  await inJail(jail, signal, [
    'cd "$W" || exit 1',
    `rm -rf .previous tmp ${META_FILE}`,
    "if [ -e src ] || [ -L src ]; then mv src .previous || exit 1; fi",
    "if [ -L home ] || { [ -e home ] && [ ! -d home ]; }; then rm -rf home; fi",
    "mkdir -p src tmp home && rm -rf home/.npmrc && chmod 700 src tmp home",
  ]);
}

/**
 * Moves the cached folders (paths relative to the checkout) from the last build's checkout into this one,
 * where the checkout has nothing of that name; the rest of the last checkout is removed. Returns what moved.
 */
export async function moveKeptFolders(jail: Jail, folders: string[], signal: AbortSignal): Promise<string[]> {
  const moved: string[] = [];
  await inJail(
    jail,
    signal,
    [
      'cd "$W" || exit 1',
      'for f in "$@"; do',
      '  from=".previous/$f"; to="src/$f"',
      '  if [ -d "$from" ] && [ ! -L "$from" ] && [ ! -e "$to" ] && [ ! -L "$to" ]; then',
      '    mkdir -p "$(dirname "$to")" && mv "$from" "$to" && echo "$f"',
      "  fi",
      "done",
      "rm -rf .previous",
    ],
    folders,
    (line) => moved.push(line),
  );
  return moved;
}

/** Removes folders (relative to the checkout) a cache brought that do not fit this build. */
export async function dropFolders(jail: Jail, folders: string[], signal: AbortSignal): Promise<void> {
  await inJail(jail, signal, ['cd "$W/src" || exit 1', 'rm -rf -- "$@"'], folders);
}

/** The metadata an archive carries (its first member), as the archive tells it, or null. */
export async function archiveMeta(jail: Jail, file: string, signal: AbortSignal): Promise<unknown> {
  const text: string[] = [];
  await withFile(file, (fd) =>
    inJail(
      jail,
      signal,
      [`tar --zstd -x -O -f - --occurrence=1 ${META_FILE} 2>/dev/null | head -c 4096 || true`],
      [],
      (line) => text.push(line),
      { stdin: fd },
    ),
  );
  try {
    return JSON.parse(text.join("\n"));
  } catch {
    return null;
  }
}

/** Extracts an archive (a file only the builder opens) into the workspace; the checkout's files stay. */
export async function extractArchive(jail: Jail, file: string, signal: AbortSignal): Promise<void> {
  await withFile(file, (fd) =>
    inJail(
      jail,
      signal,
      ['cd "$W" || exit 1', "tar --zstd -x -f - --no-same-owner --skip-old-files", `rm -f ${META_FILE}`],
      [],
      () => {},
      { stdin: fd },
    ),
  );
}

async function withFile(file: string, use: (fd: number) => Promise<void>): Promise<void> {
  const handle = await open(file, "r");
  try {
    await use(handle.fd);
  } finally {
    await handle.close();
  }
}

/**
 * Archives `home` (without the builder's `.npmrc`) and the cached folders that exist (relative to the
 * checkout), with `meta`, as zstd on all cores, to `file` (made by the builder, unreadable by builds).
 * Returns the archive's size, or 0 when there was nothing to keep.
 */
export async function makeArchive(
  jail: Jail,
  file: string,
  folders: string[],
  meta: object,
  signal: AbortSignal,
): Promise<number> {
  const archive = await open(file, "wx", 0o600);
  try {
    await inJail(
      jail,
      signal,
      [
        'cd "$W" || exit 1',
        'meta="$1"; shift',
        'printf "%s" "$meta" > .miaobu-cache.json || exit 1',
        'set -- home $(for f in "$@"; do [ -d "src/$f" ] && [ ! -L "src/$f" ] && printf \'src/%s\\n\' "$f"; done)',
        `exec tar -I "zstd -T0 -3 -q" -c -f - --exclude=home/.npmrc -- ${META_FILE} "$@"`,
      ],
      [JSON.stringify(meta), ...folders],
      () => {},
      { stdout: archive.fd },
    );
  } catch (error) {
    await archive.close();
    await rm(file, { force: true });
    throw error;
  }
  await archive.close();
  return (await stat(file)).size;
}

/** Runs a shell script in the workspace of the jail with `args` as `$@`; throws with its last words. */
async function inJail(
  jail: Jail,
  signal: AbortSignal,
  script: string[],
  args: string[] = [],
  onStdout: (line: string) => void = () => {},
  io: { stdin?: number; stdout?: number } = {},
): Promise<void> {
  const errors: string[] = [];
  const result = await jail.run({
    command: "sh",
    args: ["-c", script.join("\n"), "cache", ...args],
    cwd: jail.workspace.inside,
    env: { PATH: "/usr/bin:/bin", W: jail.workspace.inside },
    network: "none",
    signal,
    onLine: (stream, text) => (stream === "stdout" ? onStdout(text) : errors.push(text)),
    ...io,
  });
  if (result.code !== 0)
    throw new Error(`the cache step exited with ${result.code}: ${errors.slice(-3).join(" ").trim()}`);
}
