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

function described(object: R2Object): StoredObject {
  const contentType = object.httpMetadata?.contentType;
  return {
    key: object.key,
    size: object.size,
    etag: object.etag,
    uploaded: object.uploaded.getTime(),
    ...(contentType ? { contentType } : {}),
  };
}

/** R2 reports failures as plain errors; anything it throws is the store being unavailable. */
async function guarded<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StorageError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StorageError("unavailable", `R2 ${operation} ${key} failed: ${reason}`);
  }
}

/** R2 takes a stream only when its length is known: a request body, or a `FixedLengthStream`. */
function sized(body: PutBody, length: number | undefined): PutBody {
  if (!(body instanceof ReadableStream) || length === undefined) return body;
  const fixed = new FixedLengthStream(length);
  void body.pipeTo(fixed.writable).catch(() => {
    // The failure reaches `put` through the readable half.
  });
  return fixed.readable;
}

/** The R2 binding (the default backend): no credentials, no signing, no HTTP of our own. */
export function r2Storage(bucket: R2Bucket): Storage {
  return {
    kind: "r2",
    get: (key: string, options?: { range?: ByteRange }) =>
      guarded("get", key, async (): Promise<StoredBody | null> => {
        const range = options?.range;
        const object = await bucket.get(
          key,
          range ? { range: { offset: range.offset, length: range.length } } : {},
        );
        if (!object) return null;
        return {
          ...described(object),
          body: object.body,
          arrayBuffer: () => object.arrayBuffer(),
          text: () => object.text(),
        };
      }),
    head: (key: string) =>
      guarded("head", key, async () => {
        const object = await bucket.head(key);
        return object ? described(object) : null;
      }),
    put: (key: string, body: PutBody, options?: PutOptions) =>
      guarded("put", key, async () => {
        const httpMetadata = options?.contentType
          ? { httpMetadata: { contentType: options.contentType } }
          : {};
        await bucket.put(key, sized(body, options?.length), httpMetadata);
      }),
    list: (options: ListOptions) =>
      guarded("list", options.prefix, async (): Promise<ListPage> => {
        const page = await bucket.list({
          prefix: options.prefix,
          limit: Math.min(options.limit ?? MAX_LIST_KEYS, MAX_LIST_KEYS),
          include: ["httpMetadata"],
          ...(options.cursor ? { cursor: options.cursor } : {}),
        });
        return {
          objects: page.objects.map(described),
          ...(page.truncated ? { cursor: page.cursor } : {}),
        };
      }),
    delete: (keys: readonly string[]) =>
      guarded("delete", keys[0] ?? "", async () => {
        if (keys.length > MAX_DELETE_KEYS) {
          throw new StorageError("rejected", `At most ${MAX_DELETE_KEYS} keys can be deleted at once.`);
        }
        if (keys.length > 0) await bucket.delete([...keys]);
      }),
  };
}
