import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
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
import { bufferOf, chunksOf } from "./bodies.ts";

/** What the SDK attaches to the errors it throws. */
interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const CREDENTIAL_ERRORS = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"];

function storageError(error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error;
  const { name, message, $metadata } = (typeof error === "object" && error ? error : {}) as SdkError;
  const status = $metadata?.httpStatusCode;
  const requestId = $metadata?.requestId;
  const text = `S3 ${what} failed${status ? ` (${status})` : ""}: ${[name, message ?? String(error)]
    .filter(Boolean)
    .join(": ")}${requestId ? ` (request ${requestId})` : ""}`;
  if (status === 401 || status === 403 || CREDENTIAL_ERRORS.includes(name ?? "")) {
    return new StorageError("unauthorized", text, status);
  }
  // No status: the connection broke, or the body we were sending did.
  if (status === undefined || status >= 500 || status === 429)
    return new StorageError("unavailable", text, status);
  return new StorageError("rejected", text, status);
}

/** A 404 that means "no such key": HEAD's bare NotFound or GET's NoSuchKey, not a missing bucket. */
function isMissingKey(error: unknown): boolean {
  const { name, $metadata } = (typeof error === "object" && error ? error : {}) as SdkError;
  return $metadata?.httpStatusCode === 404 && name !== "NoSuchBucket";
}

async function guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storageError(error, what);
  }
}

function unquoted(etag: string | undefined): string {
  return (etag ?? "").replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

function described(
  key: string,
  size: number,
  answer: { ETag?: string; LastModified?: Date; ContentType?: string },
): StoredObject {
  return {
    key,
    size,
    etag: unquoted(answer.ETag),
    uploaded: answer.LastModified?.getTime() ?? 0,
    ...(answer.ContentType ? { contentType: answer.ContentType } : {}),
  };
}

/**
 * S3-compatible storage through `@aws-sdk/client-s3`, for the builder in Node, which uploads blobs straight
 * to the bucket. The SDK retries nothing ("unavailable" leaves that to the caller, who can send the body
 * again) and adds checksums only where S3 requires one: DeleteObjects, with the Content-MD5 that S3's
 * documentation and older S3-compatible stores ask for.
 */
export function s3SdkStorage(config: RemoteStorageConfig): Storage {
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      if (context.commandName !== "DeleteObjectsCommand" || !request.headers) return next(args);
      const body = request.body;
      if (typeof body === "string" || body instanceof Uint8Array) {
        request.headers["content-md5"] = createHash("md5").update(body).digest("base64");
      }
      return next(args);
    },
    { step: "build", priority: "low", name: "miaobuContentMd5" },
  );
  const bucket = config.bucket;

  return {
    kind: "s3",
    get: (key: string, options?: { range?: ByteRange }) =>
      guarded(`get ${key}`, async (): Promise<StoredBody | null> => {
        const range = options?.range;
        if (range && (range.length < 1 || range.offset < 0)) {
          throw new StorageError("rejected", `S3 get ${key}: a range needs a length of at least 1 byte.`);
        }
        let answer: GetObjectCommandOutput;
        try {
          answer = await client.send(
            new GetObjectCommand({
              Bucket: bucket,
              Key: key,
              ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}),
            }),
          );
        } catch (error) {
          if (isMissingKey(error)) return null;
          throw error;
        }
        const total = /\/(\d+)\s*$/.exec(answer.ContentRange ?? "")?.[1];
        const size = Number(total ?? answer.ContentLength ?? 0);
        let body = answer.Body?.transformToWebStream() ?? new ReadableStream<Uint8Array>();
        if (range && !answer.ContentRange) {
          // A store that ignores the range answers 200 with the whole object; keep to what was asked.
          const whole = new Uint8Array(await new Response(body).arrayBuffer());
          body =
            new Response(whole.slice(range.offset, range.offset + range.length)).body ?? new ReadableStream();
        }
        const read = new Response(body);
        return {
          ...described(key, size, answer),
          body,
          arrayBuffer: () => read.arrayBuffer(),
          text: () => read.text(),
        };
      }),
    head: (key: string) =>
      guarded(`head ${key}`, async () => {
        try {
          const answer = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          return described(key, answer.ContentLength ?? 0, answer);
        } catch (error) {
          if (isMissingKey(error)) return null;
          throw error;
        }
      }),
    put: (key: string, body: PutBody, options?: PutOptions) =>
      guarded(`put ${key}`, async () => {
        const contentType = options?.contentType ? { ContentType: options.contentType } : {};
        if (body instanceof ReadableStream) {
          if (options?.length === undefined) {
            throw new StorageError("rejected", `S3 put ${key}: a stream body needs options.length.`);
          }
          // The SDK pipes a stream into the request, and a pipe does not pass an error on: abort instead.
          const stream = Readable.from(chunksOf(body));
          const abort = new AbortController();
          let broken: unknown;
          stream.on("error", (error) => {
            broken = error;
            abort.abort(error);
          });
          const command = new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: stream,
            ContentLength: options.length,
            ...contentType,
          });
          try {
            await client.send(command, { abortSignal: abort.signal });
          } catch (error) {
            throw broken === undefined ? error : storageError(broken, `put ${key}`);
          }
          return;
        }
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: bufferOf(body), ...contentType }),
        );
      }),
    list: (options: ListOptions) =>
      guarded(`list ${options.prefix}`, async (): Promise<ListPage> => {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: options.prefix,
            MaxKeys: Math.max(1, Math.min(options.limit ?? MAX_LIST_KEYS, MAX_LIST_KEYS)),
            ...(options.cursor ? { ContinuationToken: options.cursor } : {}),
          }),
        );
        const objects = (page.Contents ?? []).map((object) => ({
          key: object.Key ?? "",
          size: object.Size ?? 0,
          etag: unquoted(object.ETag),
          uploaded: object.LastModified?.getTime() ?? 0,
        }));
        if (!page.IsTruncated) return { objects };
        if (!page.NextContinuationToken)
          throw new StorageError("unavailable", "a truncated listing without a token");
        return { objects, cursor: page.NextContinuationToken };
      }),
    delete: (keys: readonly string[]) =>
      guarded(`delete ${keys[0] ?? ""}`, async () => {
        for (let at = 0; at < keys.length; at += MAX_DELETE_KEYS) {
          const chunk = keys.slice(at, at + MAX_DELETE_KEYS);
          const answer = await client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
            }),
          );
          const [first, ...more] = answer.Errors ?? [];
          if (first) {
            const code = first.Code ?? "";
            throw new StorageError(
              CREDENTIAL_ERRORS.includes(code)
                ? "unauthorized"
                : code === "InternalError"
                  ? "unavailable"
                  : "rejected",
              `S3 delete failed for ${more.length + 1} of ${chunk.length} keys, first ${first.Key}: ${code}: ${first.Message ?? ""}`,
            );
          }
        }
      }),
  };
}
