/**
 * One storage interface for every backend (docs/storage.md): the R2 binding, S3-compatible stores and
 * Alibaba Cloud OSS. The Workers use it with R2 or signed `fetch`; the builder with `@aws-sdk/client-s3` or
 * `ali-oss`. Every implementation passes the same contract suite (packages/storage/test/contract.ts).
 */
export type StorageKind = "r2" | "s3" | "oss";

/** What a store knows of an object without reading it. */
export interface StoredObject {
  key: string;
  /** Bytes of the whole object, also for a range read. */
  size: number;
  /** The store's entity tag, without quotes. */
  etag: string;
  /** Last write, in ms since the epoch. */
  uploaded: number;
  /** Content type stored with the object, when one was. */
  contentType?: string;
}

/** An object with its body; the body is read once, by one of the three readers. */
export interface StoredBody extends StoredObject {
  /** The bytes read: the whole object, or the range asked for. */
  body: ReadableStream<Uint8Array>;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export type PutBody = ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array | string;

export interface PutOptions {
  contentType?: string;
  /**
   * Bytes of a stream body. Required by the S3 and OSS backends for a stream (neither accepts a chunked
   * upload without it); the R2 binding ignores it.
   */
  length?: number;
}

export interface ListOptions {
  prefix: string;
  /** From the previous page's `cursor`. */
  cursor?: string;
  /** Keys per page, 1 to 1000 (default 1000). */
  limit?: number;
}

export interface ListPage {
  objects: StoredObject[];
  /** Set when there are more keys: pass it to the next `list`. */
  cursor?: string;
}

export interface Storage {
  readonly kind: StorageKind;
  /** The object, or only `range` of its bytes; null when there is no such key. */
  get(key: string, options?: { range?: ByteRange }): Promise<StoredBody | null>;
  head(key: string): Promise<StoredObject | null>;
  /** Writes the whole object or nothing: a failed upload leaves no partial object behind. */
  put(key: string, body: PutBody, options?: PutOptions): Promise<void>;
  /** Keys under `prefix` in lexicographic order, a page at a time. */
  list(options: ListOptions): Promise<ListPage>;
  /** Deletes up to 1000 keys; keys that do not exist are not an error. */
  delete(keys: readonly string[]): Promise<void>;
}

/** Why a storage call failed, for callers that answer differently (a retry, a 503, a clear message). */
export type StorageErrorCode =
  /** The store refused the credentials or the signature (403 / 401). */
  | "unauthorized"
  /** The store answered 5xx or the connection broke; worth retrying. */
  | "unavailable"
  /** Anything else the store refused (4xx): a bug or a misconfiguration. */
  | "rejected";

// Fields are declared rather than parameter properties: Node runs this file by stripping types only.
export class StorageError extends Error {
  override readonly name = "StorageError";
  readonly code: StorageErrorCode;
  /** HTTP status the store answered, when it answered. */
  readonly status: number | undefined;
  constructor(code: StorageErrorCode, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export const MAX_DELETE_KEYS = 1000;
export const MAX_LIST_KEYS = 1000;
