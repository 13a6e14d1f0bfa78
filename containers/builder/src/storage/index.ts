import { type StorageConfig, storageConfig } from "@miaobu/storage/config";
import type { Storage } from "@miaobu/storage/types";
import { aliOssStorage } from "./oss.ts";
import { s3SdkStorage } from "./s3.ts";

/** The bucket builds write to directly: S3 or OSS; with R2 (a Workers binding) files go through the API. */
export function directStorageFor(config: StorageConfig): Storage | null {
  if (config.kind === "s3") return s3SdkStorage(config);
  if (config.kind === "oss") return aliOssStorage(config);
  return null;
}

const STORAGE_VARIABLE = /^MIAOBU_(STORAGE|S3_.+|OSS_.+)$/;

/**
 * Reads the storage configuration from the environment and removes it, credentials included, so no child
 * process can inherit it (builds get a fresh environment anyway: sandbox.ts).
 */
export function takeStorageConfig(env: NodeJS.ProcessEnv): StorageConfig {
  const config = storageConfig(env);
  for (const name of Object.keys(env)) if (STORAGE_VARIABLE.test(name)) delete env[name];
  return config;
}
