// The end of a build: the output hashed, compressed and uploaded, then finalized. Files upload as soon as
// they are hashed, while they compress; the variants follow (docs/builder-protocol.md).
import type { Storage } from "@miaobu/storage/types";
import type { CallbackClient } from "./callback.ts";
import { type BlobSource, hashAndCompress, type OutputFile } from "./output.ts";
import type { Reporter } from "./reporter.ts";
import { seconds } from "./steps.ts";
import { uploadDeployment } from "./upload.ts";
import type { VariantStore } from "./variant-store.ts";

/** Every file of the output, hashed: what uploads while compression runs. */
interface HashedFiles {
  manifest: readonly OutputFile[];
  blobs: ReadonlyMap<string, BlobSource>;
}

export async function publishOutput(input: {
  files: readonly { path: string; absolute: string; size: number }[];
  /** Where compressed variants are written (only the builder can read it). */
  blobDir: string;
  known: VariantStore | null;
  client: CallbackClient;
  deploymentId: string;
  direct: { storage: Storage; projectId: string } | null;
  reporter: Reporter;
  /** The build's timed step runner and its timings line. */
  step: <T>(name: string, work: () => Promise<T>) => Promise<T>;
  timings: string[];
  /** When the build started, for its `Build done in …` line. */
  started: number;
  signal: AbortSignal;
}): Promise<void> {
  const { reporter, signal, timings } = input;
  let hashedFiles: (files: HashedFiles) => void = () => {};
  const hashed = new Promise<HashedFiles>((resolve) => {
    hashedFiles = resolve;
  });
  const stopCompressing = new AbortController();
  const compressing = input.step("hash and compress", () =>
    hashAndCompress(input.files, input.blobDir, {
      signal: AbortSignal.any([signal, stopCompressing.signal]),
      ...(input.known ? { known: input.known } : {}),
      log: (text) => reporter.system(`  ${text}`),
      onHashed: (manifest, blobs) => hashedFiles({ manifest, blobs }),
    }),
  );
  let compressedAt = 0;
  compressing.then(
    () => {
      compressedAt = Date.now();
    },
    () => undefined,
  );
  const files = await Promise.race([hashed, compressing]);
  signal.throwIfAborted();
  // Timed here rather than by step(): the log closes before finalize, which ends the token's life.
  reporter.system("▶ upload");
  const uploadStarted = Date.now();
  await uploadDeployment({
    client: input.client,
    deploymentId: input.deploymentId,
    ...files,
    compressed: compressing,
    signal,
    log: (text) => reporter.system(`  ${text}`),
    ...(input.direct ? { direct: input.direct } : {}),
    beforeFinalize: async (sent) => {
      // The upload's own phase is what it added after compression; it ran beside it before.
      const after = seconds(Date.now() - Math.max(compressedAt, uploadStarted));
      timings.push(`upload ${after}`);
      const size = (sent.bytes / (1024 * 1024)).toFixed(1);
      reporter.system(
        `✓ upload (${seconds(Date.now() - uploadStarted)}, ${after} after compression): ${sent.missing} of ${sent.blobs} blobs sent, ${size} MB`,
      );
      reporter.system(`Build done in ${seconds(Date.now() - input.started)}: ${timings.join(" · ")}`);
      // The token stops working once the deployment is ready: deliver the whole log first.
      await reporter.flush();
      reporter.seal();
    },
  }).catch((error: unknown) => {
    stopCompressing.abort(error);
    throw error;
  });
}
