import { isIP } from "node:net";
import { Readable } from "node:stream";
import type { RemoteStorageConfig } from "@miaobu/storage/config";
import {
  type ByteRange,
  type ListOptions,
  type ListPage,
  MAX_DELETE_KEYS,
  MAX_LIST_KEYS,
  type PutBody,
  type PutOptions,
  type Storage,
  StorageError,
  type StoredBody,
  type StoredObject,
} from "@miaobu/storage/types";
import OSS from "ali-oss";
import { bufferOf, chunksOf } from "./bodies.ts";

/** ali-oss options its type declarations leave out. */
interface ClientOptions extends OSS.Options {
  /** Bucket as the first path segment on the endpoint's host (OSS's second-level-domain access). */
  sldEnable?: boolean;
  /** Retries of a network failure; ali-oss never retries a stream upload. */
  retryMax?: number;
}

/** What ali-oss attaches to the errors it throws. */
interface AliOssError {
  status?: number;
  code?: string;
  requestId?: string;
  message?: string;
}

function storageError(error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error;
  const { status, code, requestId, message } = (
    typeof error === "object" && error ? error : {}
  ) as AliOssError;
  // ali-oss gives -1 to a broken connection and -2 to a timeout: no answer, like a network error.
  const answered = status !== undefined && status > 0 ? status : undefined;
  const reason = [code, message ?? String(error)].filter(Boolean).join(": ");
  const text = `OSS ${what} failed${answered ? ` (${answered})` : ""}: ${reason}${requestId ? ` (request ${requestId})` : ""}`;
  if (answered === 401 || answered === 403) return new StorageError("unauthorized", text, answered);
  if (answered !== undefined && answered < 500) return new StorageError("rejected", text, answered);
  return new StorageError("unavailable", text, answered);
}

function statusOf(error: unknown): number | undefined {
  return typeof error === "object" && error && "status" in error && typeof error.status === "number"
    ? error.status
    : undefined;
}

async function guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storageError(error, what);
  }
}

type ResponseHeaders = Record<string, string | undefined>;

function described(key: string, headers: ResponseHeaders, size: number): StoredObject {
  const uploaded = Date.parse(headers["last-modified"] ?? "");
  const contentType = headers["content-type"];
  return {
    key,
    size,
    etag: (headers.etag ?? "").replace(/^W\//, "").replace(/^"|"$/g, ""),
    uploaded: Number.isNaN(uploaded) ? 0 : uploaded,
    ...(contentType ? { contentType } : {}),
  };
}

function webStream(source: Readable): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = (await chunks.next()) as IteratorResult<Buffer>;
      if (done) controller.close();
      else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    },
    cancel: () => {
      source.destroy();
    },
  });
}

/**
 * Alibaba Cloud OSS through ali-oss, for the builder in Node, which uploads blobs straight to the bucket.
 * Virtual-hosted by default (`bucket.oss-cn-hangzhou.aliyuncs.com`); with `forcePathStyle` the bucket is
 * the first path segment on the endpoint's host, like `ossStorage` in the Workers (ali-oss's `sldEnable`).
 * ali-oss gives an endpoint that is an IP address a virtual-hosted Host header of its own
 * (`bucket.<region>.aliyuncs.com`) and no bucket in the path, so there it is left to that.
 */
export function aliOssStorage(config: RemoteStorageConfig): Storage {
  const endpoint = new URL(config.endpoint);
  const options: ClientOptions = {
    accessKeyId: config.accessKeyId,
    accessKeySecret: config.secretAccessKey,
    bucket: config.bucket,
    region: config.region,
    endpoint: config.endpoint,
    secure: endpoint.protocol === "https:",
    sldEnable: config.forcePathStyle && isIP(endpoint.hostname.replace(/^\[|\]$/g, "")) === 0,
    // Per request, and an upload is a request: generous enough for a large blob on a slow link.
    timeout: 120_000,
    // Retrying is the caller's decision ("unavailable" says it may), made where the body can be sent again.
    retryMax: 0,
  };
  const client = new OSS(options);

  return {
    kind: "oss",
    get: (key: string, options?: { range?: ByteRange }) =>
      guarded(`get ${key}`, async (): Promise<StoredBody | null> => {
        const range = options?.range;
        if (range && (range.length < 1 || range.offset < 0)) {
          throw new StorageError("rejected", `OSS get ${key}: a range needs a length of at least 1 byte.`);
        }
        // "standard": a range past the end is trimmed or refused (416), never answered with the whole object.
        const headers = range
          ? {
              Range: `bytes=${range.offset}-${range.offset + range.length - 1}`,
              "x-oss-range-behavior": "standard",
            }
          : {};
        let result: OSS.GetStreamResult;
        try {
          result = await client.getStream(key, { headers });
        } catch (error) {
          if (statusOf(error) === 404) return null;
          throw error;
        }
        const answer = result.res.headers as ResponseHeaders;
        const stream = result.stream as Readable;
        let size = Number(answer["content-length"] ?? "0");
        let body = webStream(stream);
        if (result.res.status === 206) {
          size = Number(/\/(\d+)$/.exec(answer["content-range"] ?? "")?.[1] ?? Number.NaN);
        } else if (range) {
          // A store that ignores the range answers 200 with the whole object; keep to what was asked.
          const whole = new Uint8Array(await new Response(body).arrayBuffer());
          body = new Blob([whole.slice(range.offset, range.offset + range.length)]).stream();
        }
        return {
          ...described(key, answer, size),
          body,
          arrayBuffer: () => new Response(body).arrayBuffer(),
          text: () => new Response(body).text(),
        };
      }),
    head: (key: string) =>
      guarded(`head ${key}`, async () => {
        try {
          const result = await client.head(key);
          const headers = result.res.headers as ResponseHeaders;
          return described(key, headers, Number(headers["content-length"] ?? "0"));
        } catch (error) {
          if (statusOf(error) === 404) return null;
          throw error;
        }
      }),
    put: (key: string, body: PutBody, options?: PutOptions) =>
      guarded(`put ${key}`, async () => {
        const mime = options?.contentType;
        if (body instanceof ReadableStream) {
          if (options?.length === undefined) {
            throw new StorageError("rejected", `OSS put ${key}: a stream body needs options.length.`);
          }
          // @types/ali-oss marks every putStream option as required; ali-oss itself needs none of them.
          const streamOptions = {
            contentLength: options.length,
            ...(mime ? { mime } : {}),
          } as OSS.PutStreamOptions;
          await client.putStream(key, Readable.from(chunksOf(body)), streamOptions);
          return;
        }
        // ali-oss reads a string as a file path: always hand it bytes. It sends their Content-MD5.
        await client.put(key, bufferOf(body), mime ? { mime } : {});
      }),
    list: (options: ListOptions) =>
      guarded(`list ${options.prefix}`, async (): Promise<ListPage> => {
        const limit = Math.max(1, Math.min(Math.trunc(options.limit ?? MAX_LIST_KEYS), MAX_LIST_KEYS));
        const page = await client.listV2({
          prefix: options.prefix,
          "max-keys": limit,
          ...(options.cursor ? { "continuation-token": options.cursor } : {}),
        });
        return {
          objects: (page.objects ?? []).map((object) => {
            const uploaded = Date.parse(object.lastModified);
            return {
              key: object.name,
              size: object.size,
              etag: object.etag.replace(/^"|"$/g, ""),
              uploaded: Number.isNaN(uploaded) ? 0 : uploaded,
            };
          }),
          ...(page.isTruncated && page.nextContinuationToken ? { cursor: page.nextContinuationToken } : {}),
        };
      }),
    delete: (keys: readonly string[]) =>
      guarded(`delete ${keys[0] ?? ""}`, async () => {
        if (keys.length > MAX_DELETE_KEYS) {
          throw new StorageError("rejected", `At most ${MAX_DELETE_KEYS} keys can be deleted at once.`);
        }
        if (keys.length > 0) await client.deleteMulti([...keys], { quiet: true });
      }),
  };
}
