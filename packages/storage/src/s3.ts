import type { RemoteStorageConfig } from "./config.ts";
import {
  codeForS3Error,
  type DeleteFailure,
  deleteFailuresOf,
  describedBy,
  failedCall,
  failureOf,
  listPageOf,
} from "./s3-answers.ts";
import {
  canonicalQueryOf,
  createSigner,
  EMPTY_SHA256,
  encodeKeyPath,
  sha256Hex,
  UNSIGNED_PAYLOAD,
  uriEncode,
  utf8,
} from "./sigv4.ts";
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
} from "./types.ts";
import { escapeXml } from "./xml.ts";

/** One S3 request, as signed and sent; `operation` and `subject` name it in error messages. */
interface Call {
  operation: "get" | "head" | "put" | "list" | "delete";
  subject: string;
  method: "GET" | "HEAD" | "PUT" | "POST";
  url: URL;
  /** Signed headers. */
  headers?: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;
  payloadHash?: string;
  /** Sent unsigned, for a stream where the runtime cannot tell the length itself (Node's fetch). */
  contentLength?: number;
}

type FixedLengthStreamConstructor = new (
  length: number,
) => { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };

type NodeCrypto = { createHash(algorithm: string): { update(data: Uint8Array): { digest(): Uint8Array } } };

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}

function bytesOf(body: ArrayBuffer | Uint8Array | string): Uint8Array<ArrayBuffer> {
  if (typeof body === "string") return utf8(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return body.buffer instanceof ArrayBuffer ? (body as Uint8Array<ArrayBuffer>) : new Uint8Array(body);
}

/** workerd sends a stream with a Content-Length only when it is a `FixedLengthStream`; Node takes the header. */
function sized(body: ReadableStream<Uint8Array>, length: number): Pick<Call, "body" | "contentLength"> {
  const FixedLength = (globalThis as { FixedLengthStream?: FixedLengthStreamConstructor }).FixedLengthStream;
  if (!FixedLength) return { body, contentLength: length };
  const fixed = new FixedLength(length);
  void body.pipeTo(fixed.writable).catch(() => {
    // The failure reaches `fetch` through the readable half.
  });
  return { body: fixed.readable };
}

/** Base64 MD5, which DeleteObjects requires: workerd's WebCrypto has MD5, Node's has not. */
async function contentMd5(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  let digest: Uint8Array;
  try {
    digest = new Uint8Array(await crypto.subtle.digest("MD5", bytes));
  } catch (error) {
    const node = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
    const nodeCrypto = node?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
    if (!nodeCrypto) throw error;
    digest = nodeCrypto.createHash("md5").update(bytes).digest();
  }
  return btoa(String.fromCharCode(...digest));
}

function unreadable(call: Call, error: unknown): StorageError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StorageError(
    "unavailable",
    `S3 ${call.operation} ${call.subject} answered XML we cannot read: ${reason}`,
  );
}

/**
 * S3-compatible storage (AWS S3, R2's S3 API, MinIO…) over `fetch` signed with SigV4: for the Workers, where
 * the AWS SDK is large and needs a DOMParser. `fetcher` is for tests and for Node.
 */
export function s3Storage(config: RemoteStorageConfig, fetcher: typeof fetch = fetch): Storage {
  const endpoint = new URL(config.endpoint);
  const basePath = endpoint.pathname.replace(/\/+$/, "");
  const bucketBase = config.forcePathStyle
    ? `${endpoint.origin}${basePath}/${uriEncode(config.bucket)}`
    : `${endpoint.protocol}//${config.bucket}.${endpoint.host}${basePath}`;
  const bucketUrl = (query: string) => new URL(`${bucketBase}${config.forcePathStyle ? "" : "/"}?${query}`);
  const sign = createSigner({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    region: config.region,
    service: "s3",
  });

  function objectUrl(operation: Call["operation"], key: string): URL {
    // fetch resolves `.` and `..` segments (even encoded), which would read or write another key.
    if (key === "" || key.split("/").some((segment) => segment === "." || segment === "..")) {
      throw new StorageError(
        "rejected",
        `S3 ${operation} "${key}": keys that are empty or have . or .. segments cannot be sent.`,
      );
    }
    return new URL(`${bucketBase}/${encodeKeyPath(key)}`);
  }

  async function send(call: Call): Promise<Response> {
    try {
      const payloadHash = call.payloadHash ?? EMPTY_SHA256;
      const signed = await sign({
        method: call.method,
        url: call.url,
        headers: { ...call.headers, "x-amz-content-sha256": payloadHash },
        payloadHash,
      });
      const headers = new Headers(signed.headers);
      headers.delete("host"); // The runtime sets it from the URL, to the value signed.
      if (call.contentLength !== undefined) headers.set("content-length", String(call.contentLength));
      const init = {
        method: call.method,
        headers,
        body: call.body ?? null,
        redirect: "manual",
        duplex: "half",
      };
      return await fetcher(call.url, init as RequestInit);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StorageError("unavailable", `S3 ${call.operation} ${call.subject} failed: ${reason}`);
    }
  }

  /** Sends `call`; throws for any answer but a 2xx. */
  async function succeeded(call: Call): Promise<Response> {
    const response = await send(call);
    if (response.ok) return response;
    throw failedCall(`${call.operation} ${call.subject}`, response.status, await failureOf(response));
  }

  /** Sends `call`; null for a 404 that is a missing key (not a missing bucket), throws for other failures. */
  async function found(call: Call): Promise<Response | null> {
    const response = await send(call);
    if (response.ok) return response;
    const failure = await failureOf(response);
    if (response.status === 404 && failure.code !== "NoSuchBucket") return null;
    throw failedCall(`${call.operation} ${call.subject}`, response.status, failure);
  }

  async function head(key: string): Promise<StoredObject | null> {
    const response = await found({
      operation: "head",
      subject: key,
      method: "HEAD",
      url: objectUrl("head", key),
    });
    if (!response) return null;
    return describedBy(key, response.headers, Number(response.headers.get("content-length") ?? 0));
  }

  async function get(key: string, options?: { range?: ByteRange }): Promise<StoredBody | null> {
    const range = options?.range;
    if (range && (range.length < 1 || range.offset < 0)) {
      throw new StorageError("rejected", `S3 get ${key}: a range needs a length of at least 1 byte.`);
    }
    const url = objectUrl("get", key);
    const headers: Record<string, string> = range
      ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` }
      : {};
    const response = await found({ operation: "get", subject: key, method: "GET", url, headers });
    if (!response) return null;
    const total = /\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "")?.[1];
    const size = Number(total ?? response.headers.get("content-length") ?? 0);
    let read = response;
    if (range && response.status === 200) {
      // A store that ignores the range answers 200 with the whole object; keep to what was asked.
      const whole = new Uint8Array(await response.arrayBuffer());
      read = new Response(whole.slice(range.offset, range.offset + range.length));
    }
    return {
      ...describedBy(key, response.headers, size),
      body: read.body ?? emptyBody(),
      arrayBuffer: () => read.arrayBuffer(),
      text: () => read.text(),
    };
  }

  async function put(key: string, body: PutBody, options?: PutOptions): Promise<void> {
    const url = objectUrl("put", key);
    const headers: Record<string, string> = options?.contentType
      ? { "content-type": options.contentType }
      : {};
    let payload: Pick<Call, "body" | "contentLength" | "payloadHash">;
    if (body instanceof ReadableStream) {
      if (options?.length === undefined) {
        throw new StorageError(
          "rejected",
          `S3 put ${key}: a stream body needs options.length (S3 wants a Content-Length).`,
        );
      }
      payload = { ...sized(body, options.length), payloadHash: UNSIGNED_PAYLOAD };
    } else {
      const bytes = bytesOf(body);
      payload = { body: bytes, payloadHash: await sha256Hex(bytes) };
    }
    const call: Call = { operation: "put", subject: key, method: "PUT", url, headers, ...payload };
    await (await succeeded(call)).arrayBuffer();
  }

  async function list(options: ListOptions): Promise<ListPage> {
    const limit = Math.max(1, Math.min(Math.floor(options.limit ?? MAX_LIST_KEYS), MAX_LIST_KEYS));
    const query = canonicalQueryOf([
      ["list-type", "2"],
      ["prefix", options.prefix],
      ["max-keys", String(limit)],
      ...(options.cursor ? [["continuation-token", options.cursor] as const] : []),
    ]);
    const call: Call = { operation: "list", subject: options.prefix, method: "GET", url: bucketUrl(query) };
    const text = await (await succeeded(call)).text();
    try {
      return listPageOf(text);
    } catch (error) {
      throw unreadable(call, error);
    }
  }

  async function deleteChunk(keys: readonly string[]): Promise<void> {
    const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join("");
    const bytes = utf8(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${objects}</Delete>`,
    );
    const call: Call = {
      operation: "delete",
      subject: keys.length === 1 ? (keys[0] ?? "") : `${keys.length} keys from ${keys[0]}`,
      method: "POST",
      url: bucketUrl("delete"),
      headers: { "content-type": "application/xml", "content-md5": await contentMd5(bytes) },
      body: bytes,
      payloadHash: await sha256Hex(bytes),
    };
    const text = await (await succeeded(call)).text();
    let failures: DeleteFailure[];
    try {
      failures = deleteFailuresOf(text);
    } catch (error) {
      throw unreadable(call, error);
    }
    const [first] = failures;
    if (!first) return;
    throw new StorageError(
      codeForS3Error(first.code),
      `S3 delete failed for ${failures.length} of ${keys.length} keys, first ${first.key}: ${first.code}: ${first.message}`,
    );
  }

  return {
    kind: "s3",
    get,
    head,
    put,
    list,
    async delete(keys: readonly string[]) {
      for (let at = 0; at < keys.length; at += MAX_DELETE_KEYS)
        await deleteChunk(keys.slice(at, at + MAX_DELETE_KEYS));
    },
  };
}
