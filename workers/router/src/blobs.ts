import { storageKeys } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage";

export interface BlobCacheOptions {
  maxBytes: number;
  maxEntryBytes: number;
}

/**
 * Per-isolate LRU of small file bodies, keyed by project and hash. Blobs are content-addressed and never
 * change, so an entry is never stale; it is only evicted when the byte budget is spent.
 */
export class BlobCache {
  readonly #entries = new Map<string, ArrayBuffer>();
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  #bytes = 0;

  constructor(options: BlobCacheOptions) {
    this.#maxBytes = options.maxBytes;
    this.#maxEntryBytes = Math.min(options.maxEntryBytes, options.maxBytes);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Whether a body of `size` bytes would be kept. */
  fits(size: number): boolean {
    return size <= this.#maxEntryBytes;
  }

  get(key: string): ArrayBuffer | undefined {
    const body = this.#entries.get(key);
    if (!body) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, body);
    return body;
  }

  set(key: string, body: ArrayBuffer): void {
    if (!this.fits(body.byteLength) || this.#entries.has(key)) return;
    while (this.#bytes + body.byteLength > this.#maxBytes) {
      const oldest = this.#entries.entries().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value[0]);
      this.#bytes -= oldest.value[1].byteLength;
    }
    this.#entries.set(key, body);
    this.#bytes += body.byteLength;
  }
}

/** Where the router reads file bodies from, fastest first. */
export interface BlobSources {
  storage: Storage;
  memory: BlobCache;
  /** The edge cache (`caches.default`), absent where there is none. */
  edge: Cache | null;
  /** Origin the edge cache keys live under: a host of the platform's own zone. */
  edgeOrigin: string;
  waitUntil: (promise: Promise<unknown>) => void;
}

function edgeKey(sources: BlobSources, key: string): Request {
  return new Request(`${sources.edgeOrigin}/__miaobu/blobs/${key}`);
}

const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * A blob's bytes (or a stream of them): isolate memory, then the edge Cache API, then storage. Bodies
 * read from storage are put in the edge cache after the response starts. Null when storage lacks it.
 */
export async function readBlob(
  sources: BlobSources,
  projectId: string,
  hash: string,
  size: number,
): Promise<ArrayBuffer | ReadableStream | null> {
  const key = storageKeys.blob(projectId, hash);
  const remembered = sources.memory.get(key);
  if (remembered) return remembered;

  const small = sources.memory.fits(size);
  if (sources.edge) {
    const cached = await sources.edge.match(edgeKey(sources, key));
    if (cached?.body) {
      if (!small) return cached.body;
      const body = await cached.arrayBuffer();
      sources.memory.set(key, body);
      return body;
    }
  }

  const object = await sources.storage.get(key);
  if (!object) return null;
  const edge = sources.edge;
  const toEdge = (body: ArrayBuffer | ReadableStream) => {
    if (!edge) return;
    const headers = { "cache-control": IMMUTABLE, "content-length": String(object.size) };
    sources.waitUntil(
      edge.put(edgeKey(sources, key), new Response(body, { headers })).catch((error: unknown) => {
        console.warn("router: edge cache put failed", error instanceof Error ? error.message : error);
      }),
    );
  };
  if (small) {
    const body = await object.arrayBuffer();
    sources.memory.set(key, body);
    toEdge(body);
    return body;
  }
  if (!edge) return object.body;
  const [client, cache] = object.body.tee();
  toEdge(cache);
  return client;
}

/** `length` bytes from `offset` of a blob, for a Range request: from memory when kept, else from storage. */
export async function readBlobRange(
  sources: BlobSources,
  projectId: string,
  hash: string,
  offset: number,
  length: number,
): Promise<ArrayBuffer | ReadableStream | null> {
  const key = storageKeys.blob(projectId, hash);
  const remembered = sources.memory.get(key);
  if (remembered) return remembered.slice(offset, offset + length);
  if (length === 0) return new ArrayBuffer(0);
  const object = await sources.storage.get(key, { range: { offset, length } });
  return object ? object.body : null;
}
