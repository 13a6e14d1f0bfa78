import type { RemoteStorageConfig } from "./config.ts";
import type { Storage } from "./types.ts";

/** S3-compatible storage over SigV4-signed fetch (placeholder until implemented). */
export function s3Storage(_config: RemoteStorageConfig, _fetcher: typeof fetch = fetch): Storage {
  throw new Error("not implemented yet");
}
