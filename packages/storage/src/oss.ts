import type { RemoteStorageConfig } from "./config.ts";
import type { Storage } from "./types.ts";

/** Alibaba Cloud OSS over OSS-signed fetch (placeholder until implemented). */
export function ossStorage(_config: RemoteStorageConfig, _fetcher: typeof fetch = fetch): Storage {
  throw new Error("not implemented yet");
}
