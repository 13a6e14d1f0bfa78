import type { ApiClient } from "../api";
import type { Command, CommandContext } from "../command";
import { ApiError, CliError, UsageError } from "../errors";
import { type HashedFile, hashFiles } from "../hash";
import { formatBytes, formatDuration, plural } from "../output";
import { type PendingBlob, planUploads } from "../plan";
import { Progress } from "../progress";
import type { UploadLimits } from "../types";
import { uploadBlobs } from "../upload";
import { walkFolder } from "../walk";

export const deploy: Command = {
  name: "deploy",
  summary: "Deploy a folder of static files",
  description: [
    "Hashes every file (SHA-256), creates a deployment, uploads only the files the project does",
    "not have yet, and finalizes it. A deploy of the production branch becomes production at once;",
    "any other branch gets its own preview URL and branch alias. Deploying an unchanged folder",
    "uploads nothing. `.git`, `node_modules` and `.DS_Store` are skipped, and so are symbolic links",
    "pointing outside the folder.",
  ].join("\n"),
  positionals: [{ name: "dir", required: true, description: "The folder to deploy, e.g. ./dist" }],
  options: {
    project: {
      type: "string",
      short: "p",
      value: "<name>",
      required: true,
      description: "The project to deploy to (required)",
    },
    branch: {
      type: "string",
      short: "b",
      value: "<branch>",
      description: "The branch this deploy is for (default: the project's production branch)",
    },
    message: {
      type: "string",
      short: "m",
      value: "<text>",
      description: "A note stored with the deployment",
    },
  },
  examples: [
    "miaobu deploy ./dist --project my-site",
    "miaobu deploy ./dist --project my-site --branch feature-x --message 'try the new header'",
    "miaobu deploy build -p my-site --json",
  ],
  async run(context, { values, positionals }) {
    const [dir = ""] = positionals;
    if (typeof values.project !== "string" || values.project === "") {
      throw new UsageError("--project is required (see `miaobu deploy --help`)");
    }
    return runDeploy(context, {
      dir,
      project: values.project,
      branch: typeof values.branch === "string" ? values.branch : undefined,
      message: typeof values.message === "string" ? values.message : undefined,
    });
  },
};

interface DeployOptions {
  dir: string;
  project: string;
  branch: string | undefined;
  message: string | undefined;
}

async function runDeploy(context: CommandContext, options: DeployOptions): Promise<number> {
  const started = Date.now();
  const { out } = context;
  // Fail on a missing login, a bad folder or an unknown project before spending time hashing.
  const client = await context.client();
  const folder = await walkFolder(options.dir);
  await client.getProject(options.project);
  for (const entry of folder.skipped) {
    const why = {
      outside: "it is a link pointing outside the folder",
      "broken-link": "it is a broken link",
      loop: "it is a link back to a parent folder",
      special: "it is not a regular file",
    }[entry.reason];
    out.note(`skipped ${entry.path}: ${why}`);
  }

  const progress = new Progress(context.io.stderr, context.progressMode);
  try {
    const totalBytes = folder.files.reduce((sum, file) => sum + file.size, 0);
    progress.start("Hashing", "Hashed", folder.files.length, totalBytes);
    const files = await hashFiles(folder.files, { onFile: (file) => progress.advance(1, file.size) });
    progress.finish();

    const created = await client.createDeployment(options.project, {
      ...(options.branch === undefined ? {} : { branch: options.branch }),
      ...(options.message === undefined ? {} : { commitMessage: options.message }),
      files: files.map((file) => ({ path: file.path, hash: file.hash, size: file.size })),
    });
    const deploymentId = created.deployment.id;
    const byHash = indexByHash(files);

    let uploaded = await uploadMissing(
      client,
      deploymentId,
      created.missing,
      byHash,
      created.limits,
      progress,
    );
    let finalized: Awaited<ReturnType<ApiClient["finalize"]>>;
    try {
      finalized = await client.finalize(deploymentId);
    } catch (error) {
      // The API may have lost a blob between upload and finalize: send what it names, then try once more.
      if (!(error instanceof ApiError && error.code === "missing_blobs")) throw error;
      const again = (error.problem.missing ?? []).map((entry) => entry.hash);
      const more = await uploadMissing(client, deploymentId, again, byHash, created.limits, progress);
      uploaded = { files: uploaded.files + more.files, bytes: uploaded.bytes + more.bytes };
      finalized = await client.finalize(deploymentId);
    }

    const deployment = finalized.deployment;
    const durationMs = Date.now() - started;
    out.result({
      id: deployment.id,
      shortId: deployment.shortId,
      url: deployment.url,
      project: deployment.project,
      branch: deployment.branch,
      environment: deployment.environment,
      status: deployment.status,
      isProduction: deployment.isProduction,
      aliases: deployment.aliases,
      files: files.length,
      totalBytes,
      uploadedFiles: uploaded.files,
      uploadedBytes: uploaded.bytes,
      durationMs,
      skipped: folder.skipped,
      rulesReport: deployment.rulesReport ?? [],
    });
    // Invalid lines of _redirects and _headers do not fail the deploy; the API reports them.
    for (const problem of deployment.rulesReport ?? []) {
      out.note(`warning: ${problem.file}:${problem.line}: ${problem.message}`);
    }
    out.line(
      `Deployed ${deployment.project} (${deployment.environment}, branch ${deployment.branch}) in ${formatDuration(durationMs)}`,
    );
    out.line(`  URL:      ${deployment.url}`);
    deployment.aliases.forEach((alias, index) => {
      out.line(`  ${index === 0 ? "Aliases: " : "         "} ${alias}`);
    });
    out.line(`  Files:    ${plural(files.length, "file")} (${formatBytes(totalBytes)})`);
    const stored = uploaded.files === 0 ? ", every file was already stored" : "";
    out.line(`  Uploaded: ${plural(uploaded.files, "file")} (${formatBytes(uploaded.bytes)}${stored})`);
    out.line(`  ID:       ${deployment.id}`);
    return 0;
  } catch (error) {
    progress.abort();
    throw error;
  }
}

function indexByHash(files: readonly HashedFile[]): Map<string, PendingBlob> {
  const byHash = new Map<string, PendingBlob>();
  for (const file of files) {
    if (!byHash.has(file.hash)) byHash.set(file.hash, file);
  }
  return byHash;
}

async function uploadMissing(
  client: ApiClient,
  deploymentId: string,
  missing: readonly string[],
  byHash: ReadonlyMap<string, PendingBlob>,
  limits: UploadLimits | undefined,
  progress: Progress,
): Promise<{ files: number; bytes: number }> {
  const blobs: PendingBlob[] = [];
  for (const hash of new Set(missing)) {
    const blob = byHash.get(hash);
    if (!blob) throw new CliError(`the API asked for a file this deploy does not have (sha256 ${hash})`);
    blobs.push(blob);
  }
  if (blobs.length === 0) return { files: 0, bytes: 0 };
  const requests = planUploads(blobs, limits);
  progress.start(
    "Uploading",
    "Uploaded",
    blobs.length,
    blobs.reduce((sum, blob) => sum + blob.size, 0),
  );
  const sent = await uploadBlobs(client, deploymentId, requests, {
    onRequestDone: (files, bytes) => progress.advance(files, bytes),
  });
  progress.finish();
  return sent;
}
