import type { Command, CommandContext } from "../command";
import {
  type BlobToWrite,
  checkFolder,
  createFolder,
  FolderWriter,
  fetchBlob,
  planBlobs,
  targetPath,
} from "../download";
import { CliError, describeError } from "../errors";
import { formatBytes, formatDuration, plural } from "../output";
import { mapLimit } from "../pool";
import { Progress } from "../progress";

const CONCURRENCY = 4;

export const deploymentsDownload: Command = {
  name: "deployments download",
  summary: "Download a deployment's files into a folder",
  description: [
    "Rebuilds the folder that was deployed: every file at its path, each checked against the SHA-256 the",
    "deployment lists. A content used by several paths is downloaded once. <dir> must be new or empty",
    "unless --force, which writes into it (files of the deployment replace files at the same paths, files",
    "already there with the right content are kept, anything else is left alone): run the same command",
    "with --force to finish a download that failed or was interrupted.",
  ].join("\n"),
  positionals: [
    {
      name: "id",
      required: true,
      description: "The deployment's id (dpl_…), see `miaobu deployments <project>`",
    },
    { name: "dir", required: true, description: "The folder to write, e.g. ./restored" },
  ],
  options: {
    force: { type: "boolean", short: "f", description: "Write into a folder that is not empty" },
  },
  examples: [
    "miaobu deployments download dpl_01jd3k5x9q2mzr8t ./restored",
    "miaobu deployments download dpl_01jd3k5x9q2mzr8t ./restored --force --json",
  ],
  async run(context, { values, positionals }) {
    const [id = "", dir = ""] = positionals;
    return runDownload(context, id, dir, values.force === true);
  },
};

interface Tally {
  /** Paths written or found already in place. */
  files: number;
  downloadedFiles: number;
  downloadedBytes: number;
  keptFiles: number;
}

async function runDownload(
  context: CommandContext,
  id: string,
  dir: string,
  force: boolean,
): Promise<number> {
  const started = Date.now();
  const { out } = context;
  const client = await context.client();
  const folder = await checkFolder(dir, force);
  const { deployment, files } = await client.listFiles(id);
  const blobs = planBlobs(files);
  // Every path is checked before anything is written: a bad list writes nothing.
  for (const file of files) targetPath(folder.path, file.path);
  const writer = new FolderWriter(await createFolder(folder.path));
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const tally: Tally = { files: 0, downloadedFiles: 0, downloadedBytes: 0, keptFiles: 0 };

  const progress = new Progress(context.io.stderr, context.progressMode);
  const controller = new AbortController();
  const onSigint = () => {
    // A second Ctrl-C does not wait for the running requests to stop.
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new CliError("interrupted", { exitCode: 130, code: "interrupted" }));
  };
  process.on("SIGINT", onSigint);
  try {
    const kept = folder.empty
      ? new Set<string>()
      : await findKept(writer, blobs, progress, controller.signal);
    tally.keptFiles = kept.size;
    tally.files = kept.size;
    const toFetch = blobs.filter((blob) => blob.paths.every((p) => !kept.has(p)));
    for (const blob of blobs) {
      // Some paths of this content are already in place: copy from there rather than download.
      const source = blob.paths.find((p) => kept.has(p));
      if (source !== undefined) await writeAll(writer, blob, writer.pathOf(source), kept, tally);
    }
    progress.start(
      "Downloading",
      "Downloaded",
      toFetch.length,
      toFetch.reduce((sum, blob) => sum + blob.size, 0),
    );
    await mapLimit(toFetch, CONCURRENCY, async (blob) => {
      const [first = ""] = blob.paths;
      try {
        const temp = await fetchBlob(client, writer, deployment.id, blob, first, {
          signal: controller.signal,
          onBytes: (bytes) => progress.advance(0, bytes),
        });
        await writeAll(writer, blob, temp, kept, tally, first);
      } catch (error) {
        throw failure(error, blob, { id: deployment.id, dir, tally, total: files.length });
      }
      tally.downloadedFiles += 1;
      tally.downloadedBytes += blob.size;
      progress.advance(1, 0);
    });
    progress.finish();
  } catch (error) {
    progress.abort();
    await writer.cleanUp();
    if (controller.signal.aborted) {
      throw new CliError(
        `download interrupted: ${tally.files} of ${plural(files.length, "file")} were written to ${dir}; ${retryHint(deployment.id, dir)}`,
        { exitCode: 130, code: "interrupted" },
      );
    }
    throw error;
  } finally {
    process.off("SIGINT", onSigint);
  }

  const durationMs = Date.now() - started;
  out.result({
    id: deployment.id,
    shortId: deployment.shortId,
    project: deployment.project,
    status: deployment.status,
    dir: writer.root,
    files: files.length,
    totalBytes,
    downloadedFiles: tally.downloadedFiles,
    downloadedBytes: tally.downloadedBytes,
    keptFiles: tally.keptFiles,
    durationMs,
  });
  out.line(
    `Downloaded ${deployment.id} (${deployment.shortId}) of ${deployment.project} to ${dir} in ${formatDuration(durationMs)}`,
  );
  out.line(`  Files:      ${plural(files.length, "file")} (${formatBytes(totalBytes)})`);
  out.line(`  Downloaded: ${plural(tally.downloadedFiles, "file")} (${formatBytes(tally.downloadedBytes)})`);
  if (tally.keptFiles > 0) out.line(`  Kept:       ${plural(tally.keptFiles, "file")} already in place`);
  return 0;
}

/** With --force: the paths that already hold their content, found by hashing what is there. */
async function findKept(
  writer: FolderWriter,
  blobs: readonly BlobToWrite[],
  progress: Progress,
  signal: AbortSignal,
): Promise<Set<string>> {
  const checks = blobs.flatMap((blob) => blob.paths.map((p) => ({ blob, path: p })));
  progress.start(
    "Checking",
    "Checked",
    checks.length,
    checks.reduce((sum, check) => sum + check.blob.size, 0),
  );
  const kept = new Set<string>();
  await mapLimit(checks, 8, async ({ blob, path }) => {
    if (signal.aborted) throw signal.reason;
    if (await writer.holds(path, blob)) kept.add(path);
    progress.advance(1, blob.size);
  });
  progress.finish();
  return kept;
}

/** Writes `source`'s bytes to every path of `blob` not already in place; `first` is a temp file for it. */
async function writeAll(
  writer: FolderWriter,
  blob: BlobToWrite,
  source: string,
  kept: ReadonlySet<string>,
  tally: Tally,
  first?: string,
): Promise<void> {
  for (const relative of blob.paths) {
    if (kept.has(relative) || relative === first) continue;
    await writer.commit(await writer.copy(source, relative), relative);
    tally.files += 1;
  }
  if (first !== undefined) {
    await writer.commit(source, first);
    tally.files += 1;
  }
}

function retryHint(id: string, dir: string): string {
  const quoted = /^[\w./~:@-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, "'\\''")}'`;
  return `run \`miaobu deployments download ${id} ${quoted} --force\` to finish (files already in place are kept)`;
}

/** The line for a file that could not be downloaded: which, why, how far it got, how to retry. */
function failure(
  error: unknown,
  blob: BlobToWrite,
  run: { id: string; dir: string; tally: Tally; total: number },
): unknown {
  // Interrupted, or a write the folder itself refuses: retrying the same way would not help.
  if (error instanceof CliError && ["interrupted", "unsafe_path"].includes(error.code)) return error;
  const { message, code, exitCode } = describeError(error);
  const which =
    blob.paths.length > 1 ? `${blob.paths[0]} (and ${blob.paths.length - 1} more)` : blob.paths[0];
  return new CliError(
    `could not download ${which}: ${message}. ${run.tally.files} of ${plural(run.total, "file")} were written to ${run.dir}; ${retryHint(run.id, run.dir)}`,
    { code, exitCode, cause: error },
  );
}
