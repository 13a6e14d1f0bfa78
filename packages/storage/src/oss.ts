import type { RemoteStorageConfig } from "./config.ts";
import { authorizationV1, contentMd5, encodeKey } from "./oss-signature.ts";
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
import { childrenNamed, childText, escapeXml, parseXml, type XmlElement } from "./xml.ts";

interface OssRequest {
  method: "GET" | "HEAD" | "PUT" | "POST";
  /** The object key; "" addresses the bucket. */
  key: string;
  query?: ReadonlyArray<readonly [string, string]>;
  headers?: Record<string, string>;
  body?: BodyInit;
  /** Bytes of a stream body, sent as Content-Length where `FixedLengthStream` is missing (Node). */
  length?: number;
}

const encoder = new TextEncoder();

function codeFor(status: number): StorageError["code"] {
  if (status === 401 || status === 403) return "unauthorized";
  return status >= 500 ? "unavailable" : "rejected";
}

/** OSS's error document: in the body, or base64 in `x-oss-err` when there is no body (HEAD). */
async function ossError(
  response: Response,
): Promise<{ code?: string; message?: string; requestId?: string }> {
  let text = "";
  try {
    const header = response.headers.get("x-oss-err");
    text = header ? new TextDecoder().decode(Uint8Array.from(atob(header), (c) => c.charCodeAt(0))) : "";
    if (!text) text = await response.text();
    const error = parseXml(text);
    return {
      code: childText(error, "Code"),
      message: childText(error, "Message"),
      requestId: childText(error, "RequestId"),
    };
  } catch {
    return { requestId: response.headers.get("x-oss-request-id") ?? undefined };
  }
}

async function failure(response: Response, what: string): Promise<StorageError> {
  const { code, message, requestId } = await ossError(response);
  const detail = [code, message].filter(Boolean).join(": ");
  const request = requestId ? ` (request ${requestId})` : "";
  return new StorageError(
    codeFor(response.status),
    `OSS ${what} answered ${response.status}${detail ? ` ${detail}` : ""}${request}`,
    response.status,
  );
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}

function unquoted(etag: string | null): string {
  return (etag ?? "").replace(/^W\//, "").replace(/^"|"$/g, "");
}

function described(key: string, headers: Headers, size: number): StoredObject {
  const contentType = headers.get("content-type");
  const uploaded = Date.parse(headers.get("last-modified") ?? "");
  return {
    key,
    size,
    etag: unquoted(headers.get("etag")),
    uploaded: Number.isNaN(uploaded) ? 0 : uploaded,
    ...(contentType ? { contentType } : {}),
  };
}

/** The bytes as a view of an `ArrayBuffer`, which fetch and WebCrypto take; shared memory is copied. */
function owned(view: Uint8Array): Uint8Array<ArrayBuffer> {
  return view.buffer instanceof ArrayBuffer
    ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
    : new Uint8Array(view);
}

function bytesOf(body: Exclude<PutBody, ReadableStream<Uint8Array>>): Uint8Array<ArrayBuffer> {
  if (typeof body === "string") return owned(encoder.encode(body));
  return body instanceof Uint8Array ? owned(body) : new Uint8Array(body);
}

type FixedLengthStreamClass = new (
  length: number,
) => { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };

/** Workers' stream of a declared length, the only stream body workerd sends with a Content-Length. */
const FixedLength = (globalThis as { FixedLengthStream?: FixedLengthStreamClass }).FixedLengthStream;

/** A stream whose length workerd can announce: a `FixedLengthStream` in Workers, the stream itself in Node. */
function sized(body: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  if (!FixedLength) return body;
  const fixed = new FixedLength(length);
  void body.pipeTo(fixed.writable).catch(() => {
    // The failure reaches the upload through the readable half.
  });
  return fixed.readable;
}

function checkedKey(key: string): string {
  // A URL cannot carry these: the path would be normalized and another key written.
  if (key === "" || key.split("/").some((segment) => segment === "." || segment === "..")) {
    throw new StorageError("rejected", `OSS cannot address the key "${key}" in a URL.`);
  }
  return key;
}

function listed(contents: XmlElement): StoredObject {
  const uploaded = Date.parse(childText(contents, "LastModified") ?? "");
  return {
    key: childText(contents, "Key") ?? "",
    size: Number(childText(contents, "Size") ?? "0"),
    etag: unquoted(childText(contents, "ETag") ?? ""),
    uploaded: Number.isNaN(uploaded) ? 0 : uploaded,
  };
}

/**
 * Alibaba Cloud OSS over `fetch`, signed with OSS's header signature V1: the Workers' backend when
 * `MIAOBU_STORAGE=oss` (the builder reaches the same bucket with ali-oss). Requests go virtual-hosted,
 * `https://bucket.oss-cn-hangzhou.aliyuncs.com/key`, as OSS requires. With `forcePathStyle` they go to the
 * endpoint's own host with the bucket as the first path segment, `http://127.0.0.1:9000/bucket/key`
 * (OSS calls it second-level-domain access, ali-oss's `sldEnable`): public OSS refuses it, local and
 * OSS-compatible servers need it. The signature is the same either way; it names `/bucket/key`.
 */
export function ossStorage(config: RemoteStorageConfig, fetcher: typeof fetch = fetch): Storage {
  const endpoint = new URL(config.endpoint);
  const base = config.forcePathStyle
    ? `${endpoint.protocol}//${endpoint.host}/${config.bucket}/`
    : `${endpoint.protocol}//${config.bucket}.${endpoint.host}/`;

  async function send(what: string, request: OssRequest): Promise<Response> {
    const query = request.query ?? [];
    const date = new Date().toUTCString();
    const headers: Record<string, string> = { ...request.headers, "x-oss-date": date };
    headers.authorization = await authorizationV1(config.accessKeyId, config.secretAccessKey, {
      method: request.method,
      headers,
      date,
      bucket: config.bucket,
      key: request.key,
      query,
    });
    if (request.length !== undefined && !FixedLength) {
      headers["content-length"] = String(request.length);
    }
    const search = query
      .map(([name, value]) => (value === "" ? encodeKey(name) : `${encodeKey(name)}=${encodeKey(value)}`))
      .join("&");
    const url = `${base}${encodeKey(request.key)}${search ? `?${search}` : ""}`;
    const init: RequestInit & { duplex?: "half" } = { method: request.method, headers };
    if (request.body !== undefined) init.body = request.body;
    // Node's fetch sends a stream body only when told it may start before the response.
    if (request.body instanceof ReadableStream) init.duplex = "half";
    try {
      return await fetcher(url, init);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StorageError("unavailable", `OSS ${what} failed: ${reason}`);
    }
  }

  async function get(key: string, options?: { range?: ByteRange }): Promise<StoredBody | null> {
    const range = options?.range;
    if (range && (range.length < 1 || range.offset < 0)) {
      throw new StorageError("rejected", `OSS get ${key}: a range needs a length of at least 1 byte.`);
    }
    // "standard": a range running past the end is trimmed (206) rather than ignored with the whole object
    // sent (200), and one starting past the end is refused (416).
    const headers: Record<string, string> = range
      ? {
          range: `bytes=${range.offset}-${range.offset + range.length - 1}`,
          "x-oss-range-behavior": "standard",
        }
      : {};
    const response = await send(`get ${key}`, { method: "GET", key: checkedKey(key), headers });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (response.status !== 200 && response.status !== 206) throw await failure(response, `get ${key}`);
    if (response.status === 206) {
      const total = Number(/\/(\d+)$/.exec(response.headers.get("content-range") ?? "")?.[1] ?? Number.NaN);
      return {
        ...described(key, response.headers, total),
        body: response.body ?? emptyBody(),
        arrayBuffer: () => response.arrayBuffer(),
        text: async () => new TextDecoder().decode(await response.arrayBuffer()),
      };
    }
    // A store that ignores the range answers 200 with the whole object; keep to what was asked.
    const whole = new Uint8Array(await response.arrayBuffer());
    const bytes = range ? whole.slice(range.offset, range.offset + range.length) : whole;
    const answer = new Response(bytes);
    return {
      ...described(key, response.headers, whole.byteLength),
      body: answer.body ?? emptyBody(),
      arrayBuffer: () => answer.arrayBuffer(),
      text: async () => new TextDecoder().decode(await answer.arrayBuffer()),
    };
  }

  return {
    kind: "oss",
    get,
    async head(key: string): Promise<StoredObject | null> {
      const response = await send(`head ${key}`, { method: "HEAD", key: checkedKey(key) });
      if (response.status === 404) return null;
      if (!response.ok) throw await failure(response, `head ${key}`);
      return described(key, response.headers, Number(response.headers.get("content-length") ?? "0"));
    },
    async put(key: string, body: PutBody, options?: PutOptions): Promise<void> {
      const headers: Record<string, string> = options?.contentType
        ? { "content-type": options.contentType }
        : {};
      let request: OssRequest;
      if (body instanceof ReadableStream) {
        if (options?.length === undefined) {
          throw new StorageError("rejected", `OSS put ${key}: a stream body needs options.length.`);
        }
        request = {
          method: "PUT",
          key: checkedKey(key),
          headers,
          body: sized(body, options.length),
          length: options.length,
        };
      } else {
        const bytes = bytesOf(body);
        const md5 = await contentMd5(bytes);
        if (md5) headers["content-md5"] = md5;
        request = { method: "PUT", key: checkedKey(key), headers, body: bytes };
      }
      const response = await send(`put ${key}`, request);
      if (!response.ok) throw await failure(response, `put ${key}`);
      await response.body?.cancel();
    },
    async list(options: ListOptions): Promise<ListPage> {
      const limit = Math.max(1, Math.min(Math.trunc(options.limit ?? MAX_LIST_KEYS), MAX_LIST_KEYS));
      const query: Array<[string, string]> = [
        ["list-type", "2"],
        ["max-keys", String(limit)],
        ["prefix", options.prefix],
      ];
      if (options.cursor) query.push(["continuation-token", options.cursor]);
      const response = await send(`list ${options.prefix}`, { method: "GET", key: "", query });
      if (!response.ok) throw await failure(response, `list ${options.prefix}`);
      let result: XmlElement;
      try {
        result = parseXml(await response.text());
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new StorageError(
          "unavailable",
          `OSS list ${options.prefix}: the answer could not be read: ${reason}`,
        );
      }
      const next = childText(result, "NextContinuationToken");
      return {
        objects: childrenNamed(result, "Contents").map(listed),
        ...(childText(result, "IsTruncated") === "true" && next ? { cursor: next } : {}),
      };
    },
    async delete(keys: readonly string[]): Promise<void> {
      if (keys.length > MAX_DELETE_KEYS) {
        throw new StorageError("rejected", `At most ${MAX_DELETE_KEYS} keys can be deleted at once.`);
      }
      if (keys.length === 0) return;
      const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join("");
      const body = owned(
        encoder.encode(
          `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${objects}</Delete>`,
        ),
      );
      const md5 = await contentMd5(body);
      if (!md5) {
        throw new StorageError(
          "rejected",
          "OSS delete needs Content-MD5, and this runtime's WebCrypto has no MD5.",
        );
      }
      const headers = { "content-md5": md5, "content-type": "application/xml" };
      const what = `delete ${keys[0]}${keys.length > 1 ? ` and ${keys.length - 1} more` : ""}`;
      const response = await send(what, { method: "POST", key: "", query: [["delete", ""]], headers, body });
      if (!response.ok) throw await failure(response, what);
      await response.body?.cancel();
    },
  };
}
