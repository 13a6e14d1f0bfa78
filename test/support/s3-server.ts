import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RemoteStorageConfig, storageVars } from "../../packages/storage/src/config.ts";
import { s3Storage } from "../../packages/storage/src/s3.ts";
import type { Storage } from "../../packages/storage/src/types.ts";
import { loginAdmin, startTestPlatform, type TestPlatform } from "./platform.ts";
import { readBody } from "./request-body.ts";
import { type Refusal, refusalOf, type SigningAccount } from "./s3-signature.ts";
import type { TestStoreServer } from "./store-server.ts";

const BUCKET = "miaobu-test";
// s3rver's one account. Its own signature check is off: it canonicalizes query values with
// encodeURIComponent, so a listing under a prefix with parentheses never matches. The proxy checks instead.
const ACCOUNT: SigningAccount = {
  accessKeyId: "S3RVER",
  secretAccessKey: "miaobu-s3-test-secret-8c1e",
  region: "us-east-1",
};
const FAIL_NEXT_UPLOAD = "/__test/fail-next-upload";
/** How much of an upload the armed proxy takes before it answers 500. */
const FAIL_AFTER_BYTES = 16 * 1024;

interface S3rver {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  allowMismatchedSignatures: boolean;
  configureBuckets: { name: string }[];
}) => S3rver;

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>miaobu-test-proxy</RequestId></Error>`;
}

function reply(req: IncomingMessage, res: ServerResponse, { status, code, message }: Refusal): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/xml", "x-amz-error-code": code });
  res.end(req.method === "HEAD" ? undefined : errorXml(code, message));
}

/** The whole request body, or null when the client went away before sending all of it. */
function isObjectPath(url: string): boolean {
  return /^\/[^/?]+\/[^?]+/.test(url);
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, name: string) => {
    if (name.startsWith("#x") || name.startsWith("#X"))
      return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return XML_ENTITIES[name] ?? entity;
  });
}

/**
 * s3rver's ListObjectsV2 makes its continuation tokens with DES, which OpenSSL 3 (Node >= 17) refuses, so
 * any truncated V2 page is a 500. The proxy asks for the V1 listing instead (marker = the last key) and
 * answers in V2's shape, with its own opaque token: the last key's XML text, base64.
 */
function listV1Path(url: string): string | null {
  const [path = "/", query = ""] = url.split("?");
  if (!/^\/[^/]+\/?$/.test(path)) return null;
  const pairs = query.split("&").map((pair) => {
    const at = pair.indexOf("=");
    return at === -1 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
  });
  if (!pairs.some(([name, value]) => name === "list-type" && value === "2")) return null;
  const token = pairs.find(([name]) => name === "continuation-token")?.[1];
  const startAfter = pairs.find(([name]) => name === "start-after")?.[1];
  const marker = token
    ? unescapeXml(Buffer.from(decodeURIComponent(token), "base64").toString("utf8"))
    : decodeURIComponent(startAfter ?? "");
  const kept = pairs.filter(([name]) => ["prefix", "max-keys", "delimiter"].includes(name ?? ""));
  return `${path}?${[...kept.map((pair) => pair.join("=")), `marker=${encodeURIComponent(marker)}`].join("&")}`;
}

function asListV2(xml: string): string {
  const withoutMarker = xml.replace(/<Marker>[^<]*<\/Marker>/, "");
  if (!withoutMarker.includes("<IsTruncated>true</IsTruncated>")) return withoutMarker;
  const last = [...withoutMarker.matchAll(/<Key>([^<]*)<\/Key>/g)].at(-1)?.[1] ?? "";
  const token = Buffer.from(last, "utf8").toString("base64");
  return withoutMarker.replace(
    "</IsTruncated>",
    `</IsTruncated><NextContinuationToken>${token}</NextContinuationToken>`,
  );
}

/** Takes part of an upload, answers 500 and closes the connection; nothing reaches s3rver. */
function breakUpload(req: IncomingMessage, res: ServerResponse): void {
  let received = 0;
  const fail = () => {
    if (res.headersSent) return;
    res.writeHead(500, { "content-type": "application/xml", connection: "close" });
    res.end(errorXml("InternalError", "We encountered an internal error. Please try again."), () => {
      req.socket.destroy();
    });
  };
  req.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received >= FAIL_AFTER_BYTES) fail();
  });
  req.on("end", fail);
  req.on("error", () => {
    // The client may notice the closed connection while still sending.
  });
}

function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, port: number): void {
  const headers = { ...req.headers, "content-length": String(body.length) };
  delete headers["transfer-encoding"];
  const v1 = req.method === "GET" ? listV1Path(req.url ?? "/") : null;
  const path = v1 ?? req.url;
  const upstream = request({ host: "127.0.0.1", port, method: req.method, path, headers }, (answer) => {
    const status = answer.statusCode ?? 502;
    // S3's own XML: errors and bucket answers. An object's body stays as it is, whatever its type.
    const s3Xml =
      answer.headers["content-type"]?.includes("xml") && (status >= 300 || !isObjectPath(req.url ?? "/"));
    if (!s3Xml) {
      res.writeHead(status, answer.headers);
      answer.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    answer.on("data", (chunk: Buffer) => chunks.push(chunk));
    answer.on("end", () => {
      // s3rver escapes XML text twice (he.escape, then its XML builder): undo the second, outer one.
      const xml = Buffer.concat(chunks).toString("utf8").replace(/&amp;/g, "&");
      const fixed = Buffer.from(v1 && status === 200 ? asListV2(xml) : xml, "utf8");
      const { "transfer-encoding": _, ...kept } = answer.headers;
      res.writeHead(status, { ...kept, "content-length": String(fixed.length) });
      res.end(fixed);
    });
  });
  upstream.on("error", (error) =>
    reply(req, res, { status: 502, code: "BadGateway", message: error.message }),
  );
  upstream.end(body);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * DeleteObjects as one DeleteObject after another: s3rver deletes a batch's files in parallel and each then
 * prunes its emptied folders, so deleting the last objects under a prefix at once fails (ENOENT) there.
 */
function deleteOneByOne(req: IncomingMessage, res: ServerResponse, body: Buffer, port: number): void {
  const xml = body.toString("utf8");
  const keys = [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ""));
  const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(xml);
  // The batch's signature was checked above; s3rver takes the single deletes unsigned.
  const deleteOne = (key: string) =>
    new Promise<number>((resolve, reject) => {
      const path = `/${BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}`;
      const upstream = request({ host: "127.0.0.1", port, method: "DELETE", path }, (answer) => {
        answer.resume();
        answer.on("end", () => resolve(answer.statusCode ?? 502));
      });
      upstream.on("error", reject);
      upstream.end();
    });
  void (async () => {
    const results: string[] = [];
    for (const key of keys) {
      const status = await deleteOne(key);
      if (status === 204 || status === 200 || status === 404) {
        if (!quiet) results.push(`<Deleted><Key>${escapeXml(key)}</Key></Deleted>`);
      } else {
        results.push(
          `<Error><Key>${escapeXml(key)}</Key><Code>InternalError</Code><Message>status ${status}</Message></Error>`,
        );
      }
    }
    const answer = `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join("")}</DeleteResult>`;
    res.writeHead(200, {
      "content-type": "application/xml",
      "content-length": String(Buffer.byteLength(answer)),
    });
    res.end(answer);
  })().catch((error: unknown) =>
    reply(req, res, {
      status: 502,
      code: "BadGateway",
      message: error instanceof Error ? error.message : String(error),
    }),
  );
}

/**
 * s3rver on loopback behind a proxy of ours, which makes it answer as S3 does where it does not: the proxy
 * checks SigV4 signatures, writes an upload only once all of it arrived (s3rver would keep a truncated
 * file), escapes XML once, pages ListObjectsV2 and deletes a batch one key at a time. It breaks the next upload on `POST
 * /__test/fail-next-upload`.
 */
export async function startS3TestServer(): Promise<TestStoreServer> {
  const directory = await mkdtemp(join(tmpdir(), "miaobu-s3rver-"));
  // Also when nothing calls close() (a Vitest config cannot).
  const removeDirectory = () => rmSync(directory, { recursive: true, force: true });
  process.once("exit", removeDirectory);
  const S3rver = createRequire(import.meta.url)("@20minutes/s3rver") as S3rverConstructor;
  const s3rver = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: process.env.MIAOBU_S3RVER_LOG !== "1",
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port: s3rverPort } = await s3rver.run();
  let failNextUpload = false;

  const proxy = createServer((req, res) => {
    if (req.method === "POST" && req.url === FAIL_NEXT_UPLOAD) {
      failNextUpload = true;
      res.writeHead(204).end();
      return;
    }
    const objectPut = req.method === "PUT" && isObjectPath(req.url ?? "/");
    if (objectPut && failNextUpload) {
      failNextUpload = false;
      breakUpload(req, res);
      return;
    }
    if (objectPut && req.headers["content-length"] === undefined) {
      req.resume();
      reply(req, res, {
        status: 411,
        code: "MissingContentLength",
        message: "You must provide the Content-Length HTTP header.",
      });
      return;
    }
    if (req.method === "POST" && /\?(.*&)?delete(=|&|$)/.test(req.url ?? "") && !req.headers["content-md5"]) {
      // S3's documentation, and stores such as older MinIO, require it; S3 itself now takes a CRC32 too.
      req.resume();
      reply(req, res, {
        status: 400,
        code: "InvalidRequest",
        message: "Missing required header for this request: Content-MD5",
      });
      return;
    }
    void readBody(req).then(async (body) => {
      if (!body) return; // The client gave up mid-body: like S3, write nothing.
      const refusal = await refusalOf(req, body, ACCOUNT);
      if (refusal) reply(req, res, refusal);
      else if (req.method === "POST" && /\?(.*&)?delete(=|&|$)/.test(req.url ?? "")) {
        deleteOneByOne(req, res, body, s3rverPort);
      } else forward(req, res, body, s3rverPort);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  // A Vitest config starts the servers and has no hook to close them: let the process end without that.
  proxy.unref();
  s3rver.httpServer?.unref();
  const { port } = proxy.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const config: RemoteStorageConfig = {
    kind: "s3",
    endpoint,
    region: ACCOUNT.region,
    bucket: BUCKET,
    accessKeyId: ACCOUNT.accessKeyId,
    secretAccessKey: ACCOUNT.secretAccessKey,
    forcePathStyle: true,
  };
  return {
    info: {
      config,
      wrongCredentials: { ...config, secretAccessKey: "not-the-secret" },
      failNextUploadUrl: `${endpoint}${FAIL_NEXT_UPLOAD}`,
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
      process.off("exit", removeDirectory);
    },
  };
}

/** The local platform with its files in a fresh S3 test server, signed in as the admin; `stop` ends both. */
export async function startPlatformOnS3(): Promise<{
  t: TestPlatform;
  bucket: Storage;
  stop: () => Promise<void>;
}> {
  const server = await startS3TestServer();
  try {
    const t = await startTestPlatform(undefined, { storage: storageVars(server.info.config) });
    await loginAdmin(t);
    return {
      t,
      bucket: s3Storage(server.info.config),
      async stop() {
        await t.stop();
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
