import type { RemoteStorageConfig } from "../../packages/storage/src/config.ts";

/** What a test needs to reach an S3 or OSS server on loopback (serializable, to pass into workerd). */
export interface TestStoreInfo {
  /** Configuration of the store with the right credentials and `forcePathStyle` as the server needs. */
  config: RemoteStorageConfig;
  /** The same with a wrong secret access key. */
  wrongCredentials: RemoteStorageConfig;
  /** POST here to make the server break the next object upload: a 500 after part of the body arrived. */
  failNextUploadUrl: string;
}

export interface TestStoreServer {
  info: TestStoreInfo;
  close(): Promise<void>;
}

/** Arms `failNextUploadUrl` (from Node or from inside workerd). */
export async function failNextUpload(info: TestStoreInfo): Promise<void> {
  const response = await fetch(info.failNextUploadUrl, { method: "POST" });
  if (!response.ok) throw new Error(`arming the upload failure answered ${response.status}`);
}
