import { type StorageConfig, StorageConfigError, storageConfig } from "./config.ts";
import { ossStorage } from "./oss.ts";
import { r2Storage } from "./r2.ts";
import { s3Storage } from "./s3.ts";
import type { Storage } from "./types.ts";

/** The store a configuration names; `bucket` is the R2 binding, used when the configuration is `r2`. */
export function createStorage(config: StorageConfig, bucket: R2Bucket | undefined): Storage {
  if (config.kind === "s3") return s3Storage(config);
  if (config.kind === "oss") return ossStorage(config);
  if (!bucket)
    throw new StorageConfigError("MIAOBU_STORAGE=r2 needs the R2 binding STORAGE (wrangler.toml).");
  return r2Storage(bucket);
}

const cache = new WeakMap<object, Storage>();

/**
 * The store of a Worker's environment (`MIAOBU_STORAGE` and friends, R2 binding `STORAGE`), made once per
 * environment object and isolate.
 */
export function storageOf(env: object & { STORAGE?: R2Bucket }): Storage {
  const known = cache.get(env);
  if (known) return known;
  const storage = createStorage(storageConfig(env as Record<string, unknown>), env.STORAGE);
  cache.set(env, storage);
  return storage;
}
