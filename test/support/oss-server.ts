// An Alibaba Cloud OSS bucket on loopback for tests, speaking OSS's object API as Alibaba documents it:
// PutObject, GetObject (with Range), HeadObject, DeleteObject, DeleteMultipleObjects, ListObjects and
// ListObjectsV2 (test/support/oss-bucket.ts), OSS's headers and XML error documents, and a signature
// checked on every request (test/support/oss-auth.ts). Objects live in memory. ali-oss speaks only OSS's
// protocol, so no S3 server can stand in.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature } from "./oss-auth.ts";
import { deleteObjects, listBucket, OssError, type StoredOssObject, xmlText } from "./oss-bucket.ts";
import { readBody } from "./request-body.ts";
import type { TestStoreServer } from "./store-server.ts";

const BUCKET = "miaobu-test";
const REGION = "oss-cn-hangzhou";
const ACCESS_KEY_ID = "LTAI5tMiaobuTestOnly";
const FAIL_PATH = "/__test/fail-next-upload";

function sendError(req: IncomingMessage, res: ServerResponse, error: OssError): void {
  const fields = Object.entries({
    Code: error.code,
    Message: error.message,
    RequestId: String(res.getHeader("x-oss-request-id")),
    HostId: req.headers.host ?? "",
    ...error.details,
  }).map(([name, value]) => `  <${name}>${xmlText(value)}</${name}>\n`);
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n${fields.join("")}</Error>\n`;
  res.statusCode = error.status;
  res.setHeader("content-type", "application/xml");
  if (req.method === "HEAD") {
    // A HEAD answer has no body: OSS puts the error document, base64-encoded, in a header instead.
    res.setHeader("x-oss-err", Buffer.from(xml).toString("base64"));
    res.end();
    return;
  }
  res.setHeader("content-length", Buffer.byteLength(xml));
  res.end(xml);
}

/** The whole body, or null when the connection broke before it all arrived. */
/** Percent-decoding with `+` kept literal (OSS clients encode a space as %20). */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new OssError(400, "InvalidURI", "Could not parse the specified URI.");
  }
}

function parseQuery(search: string): Array<[string, string]> {
  if (!search) return [];
  return search.split("&").map((part) => {
    const at = part.indexOf("=");
    return at < 0 ? [decoded(part), ""] : [decoded(part.slice(0, at)), decoded(part.slice(at + 1))];
  });
}

/**
 * The key a request names: virtual-hosted (`Host: bucket.anything`, `/key`), path-style (`/bucket/key` on
 * the endpoint's host) or on the bucket's own domain (`/key`, ali-oss's `cname`). Only virtual-hosted
 * requests reach a key whose first segment is the bucket's name.
 */
function keyOf(host: string, path: string): string {
  if (host.startsWith(`${BUCKET}.`)) return decoded(path.slice(1));
  if (path === `/${BUCKET}` || path.startsWith(`/${BUCKET}/`)) return decoded(path.slice(BUCKET.length + 2));
  return decoded(path.slice(1));
}

/**
 * The single range of a `Range: bytes=…` header. OSS ignores a range that does not fit the object and
 * answers it whole (null here); with `x-oss-range-behavior: standard` it trims the end to the object and
 * refuses a start past it.
 */
function rangeOf(
  header: string | undefined,
  size: number,
  standard: boolean,
): { start: number; end: number } | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? "");
  const [, from = "", to = ""] = match ?? [];
  const unsatisfiable = new OssError(416, "InvalidRange", "The requested range cannot be satisfied.");
  if (!match || (from === "" && to === "")) return null;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0 && standard) throw unsatisfiable;
    if (suffix === 0 || (suffix > size && !standard)) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Number(to);
  if (end < start) return null;
  if (start >= size && standard) throw unsatisfiable;
  if (start >= size || (end >= size && !standard)) return null;
  return { start, end: Math.min(end, size - 1) };
}

function sendObject(
  req: IncomingMessage,
  res: ServerResponse,
  object: StoredOssObject | undefined,
  key: string,
): void {
  if (!object) throw new OssError(404, "NoSuchKey", "The specified key does not exist.", { Key: key });
  const size = object.body.byteLength;
  const standard = req.headers["x-oss-range-behavior"] === "standard";
  const range = req.method === "GET" ? rangeOf(req.headers.range, size, standard) : null;
  res.setHeader("content-type", object.contentType);
  res.setHeader("etag", `"${object.etag}"`);
  res.setHeader("last-modified", object.lastModified.toUTCString());
  res.setHeader("accept-ranges", "bytes");
  res.setHeader("x-oss-object-type", "Normal");
  res.setHeader("x-oss-storage-class", "Standard");
  for (const [name, value] of Object.entries(object.meta)) res.setHeader(name, value);
  const body = range ? object.body.subarray(range.start, range.end + 1) : object.body;
  if (range) {
    res.statusCode = 206;
    res.setHeader("content-range", `bytes ${range.start}-${range.end}/${size}`);
  }
  res.setHeader("content-length", body.byteLength);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Starts the server on an ephemeral loopback port, with an empty bucket and a fresh secret. */
export async function startOssTestServer(): Promise<TestStoreServer> {
  const secret = randomBytes(30).toString("base64");
  const secrets = new Map([[ACCESS_KEY_ID, secret]]);
  const objects = new Map<string, StoredOssObject>();
  let failNextUpload = false;

  /** Part of the body arrives, then the server fails and hangs up: the old object must survive. */
  function failUpload(req: IncomingMessage, res: ServerResponse): void {
    failNextUpload = false;
    const fail = () => {
      res.setHeader("connection", "close");
      res.on("finish", () => req.socket.destroy());
      sendError(
        req,
        res,
        new OssError(500, "InternalError", "We encountered an internal error. Please try again."),
      );
    };
    if (req.headers["content-length"] === "0") fail();
    else req.once("data", fail);
  }

  async function putObject(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    if (req.headers["x-oss-copy-source"])
      throw new OssError(501, "NotImplemented", "CopyObject is not implemented.");
    if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] !== "chunked") {
      throw new OssError(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
    }
    if (failNextUpload) return failUpload(req, res);
    const body = await readBody(req);
    if (body === null) return; // The client gave up mid-body: nothing is written.
    const digest = createHash("md5").update(body).digest();
    const claimed = req.headers["content-md5"];
    if (claimed !== undefined && claimed !== digest.toString("base64")) {
      throw new OssError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
    }
    if (req.headers["x-oss-forbid-overwrite"] === "true" && objects.has(key)) {
      throw new OssError(
        409,
        "FileAlreadyExists",
        "The object you specified already exists and can not be overwritten.",
      );
    }
    const meta: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith("x-oss-meta-") && typeof value === "string") meta[name] = value;
    }
    const etag = digest.toString("hex").toUpperCase();
    const contentType = req.headers["content-type"] ?? "application/octet-stream";
    objects.set(key, { body, etag, lastModified: new Date(), contentType, meta });
    res.setHeader("etag", `"${etag}"`);
    res.setHeader("content-md5", digest.toString("base64"));
    res.setHeader("content-length", 0);
    res.end();
  }

  function sendXml(res: ServerResponse, xml: string): void {
    res.setHeader("content-type", "application/xml");
    res.setHeader("content-length", Buffer.byteLength(xml));
    res.end(xml);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const at = url.indexOf("?");
    const path = at < 0 ? url : url.slice(0, at);
    if (path === FAIL_PATH && req.method === "POST") {
      failNextUpload = true;
      res.statusCode = 204;
      res.end();
      return;
    }
    const query = parseQuery(at < 0 ? "" : url.slice(at + 1));
    const key = keyOf(req.headers.host ?? "", path);
    const method = req.method ?? "GET";
    const verdict = verifySignature(
      { method, headers: req.headers, bucket: BUCKET, key, query },
      secrets,
      REGION,
    );
    if (!verdict.ok) throw new OssError(verdict.status, verdict.code, verdict.message, verdict.details);
    if (key !== "" && method === "PUT") return putObject(req, res, key);
    if (key !== "" && (method === "GET" || method === "HEAD"))
      return sendObject(req, res, objects.get(key), key);
    if (key !== "" && method === "DELETE") {
      objects.delete(key);
      res.statusCode = 204;
      res.end();
      return;
    }
    if (key === "" && method === "GET") return sendXml(res, listBucket(BUCKET, objects, query));
    if (key === "" && method === "POST" && query.some(([name]) => name === "delete")) {
      const body = await readBody(req);
      if (body !== null)
        sendXml(res, deleteObjects(objects, body, req.headers["content-md5"]?.toString(), query));
      return;
    }
    throw new OssError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  }

  const server = createServer((req, res) => {
    res.setHeader("x-oss-request-id", randomBytes(12).toString("hex").toUpperCase());
    res.setHeader("server", "AliyunOSS");
    handle(req, res).catch((error: unknown) => {
      // Refused before its body was read: the body is drained so the connection can carry the answer.
      req.resume();
      if (res.headersSent) res.destroy();
      else
        sendError(
          req,
          res,
          error instanceof OssError ? error : new OssError(500, "InternalError", String(error)),
        );
    });
  });
  // A test config that starts the server cannot always close it: it must not keep the process alive.
  server.on("connection", (socket) => socket.unref());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  const config = {
    kind: "oss" as const,
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    bucket: BUCKET,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: secret,
    forcePathStyle: true,
  };
  return {
    info: {
      config,
      wrongCredentials: { ...config, secretAccessKey: randomBytes(30).toString("base64") },
      failNextUploadUrl: `http://127.0.0.1:${port}${FAIL_PATH}`,
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
