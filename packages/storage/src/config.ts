import type { StorageKind } from "./types.ts";

/** Where an S3-compatible or OSS bucket is and how to sign for it (docs/storage.md). */
export interface RemoteStorageConfig {
  kind: "s3" | "oss";
  /** Service URL, e.g. `https://s3.us-east-1.amazonaws.com` or `https://oss-cn-hangzhou.aliyuncs.com`. */
  endpoint: string;
  /** Signing region: `us-east-1`, `auto` for R2's S3 API, `oss-cn-hangzhou` for OSS. */
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `endpoint/bucket/key` rather than `bucket.endpoint/key` (MinIO, local servers). */
  forcePathStyle: boolean;
}

export type StorageConfig = { kind: "r2" } | RemoteStorageConfig;

export class StorageConfigError extends Error {
  override readonly name = "StorageConfigError";
}

const KINDS: readonly StorageKind[] = ["r2", "s3", "oss"];

function read(vars: Record<string, unknown>, name: string): string {
  const value = vars[name];
  return typeof value === "string" ? value.trim() : "";
}

/**
 * The storage configuration in `MIAOBU_STORAGE` and `MIAOBU_S3_*` / `MIAOBU_OSS_*` (vars and secrets of a
 * Worker, or a process's environment). Throws a message naming every missing or malformed variable.
 */
export function storageConfig(vars: Record<string, unknown>): StorageConfig {
  const kind = (read(vars, "MIAOBU_STORAGE") || "r2").toLowerCase();
  if (!KINDS.includes(kind as StorageKind)) {
    throw new StorageConfigError(`MIAOBU_STORAGE is "${kind}"; use r2, s3 or oss.`);
  }
  if (kind === "r2") return { kind: "r2" };
  const prefix = kind === "s3" ? "MIAOBU_S3_" : "MIAOBU_OSS_";
  const names = ["ENDPOINT", "BUCKET", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"];
  const missing = names.filter((name) => !read(vars, prefix + name)).map((name) => prefix + name);
  if (missing.length > 0) {
    throw new StorageConfigError(`MIAOBU_STORAGE=${kind} needs ${missing.join(", ")} (docs/storage.md).`);
  }
  const endpoint = read(vars, `${prefix}ENDPOINT`).replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StorageConfigError(`${prefix}ENDPOINT is not a URL: "${endpoint}".`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new StorageConfigError(`${prefix}ENDPOINT must be an http(s) URL: "${endpoint}".`);
  }
  const style = read(vars, `${prefix}FORCE_PATH_STYLE`).toLowerCase();
  return {
    kind,
    endpoint,
    region: read(vars, `${prefix}REGION`) || (kind === "s3" ? "us-east-1" : "oss-cn-hangzhou"),
    bucket: read(vars, `${prefix}BUCKET`),
    accessKeyId: read(vars, `${prefix}ACCESS_KEY_ID`),
    secretAccessKey: read(vars, `${prefix}SECRET_ACCESS_KEY`),
    forcePathStyle: style === "1" || style === "true" || style === "yes",
  } as RemoteStorageConfig;
}

/** The variables of one configuration, e.g. to hand the builder the same store the Workers use. */
export function storageVars(config: StorageConfig): Record<string, string> {
  if (config.kind === "r2") return { MIAOBU_STORAGE: "r2" };
  const prefix = config.kind === "s3" ? "MIAOBU_S3_" : "MIAOBU_OSS_";
  return {
    MIAOBU_STORAGE: config.kind,
    [`${prefix}ENDPOINT`]: config.endpoint,
    [`${prefix}REGION`]: config.region,
    [`${prefix}BUCKET`]: config.bucket,
    [`${prefix}ACCESS_KEY_ID`]: config.accessKeyId,
    [`${prefix}SECRET_ACCESS_KEY`]: config.secretAccessKey,
    [`${prefix}FORCE_PATH_STYLE`]: config.forcePathStyle ? "true" : "false",
  };
}

const REMOTE_SETTINGS = [
  "ENDPOINT",
  "REGION",
  "BUCKET",
  "ACCESS_KEY_ID",
  "SECRET_ACCESS_KEY",
  "FORCE_PATH_STYLE",
];

/** Every variable the storage configuration reads. */
export const STORAGE_VARIABLES: readonly string[] = [
  "MIAOBU_STORAGE",
  ...REMOTE_SETTINGS.map((name) => `MIAOBU_S3_${name}`),
  ...REMOTE_SETTINGS.map((name) => `MIAOBU_OSS_${name}`),
];
