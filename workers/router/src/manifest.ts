import { type Manifest, type ManifestEntry, SHA256_PATTERN } from "@miaobu/shared";

interface CacheEntry<T> {
  manifest: T;
  bytes: number;
}

export interface ManifestCacheOptions {
  maxEntries: number;
  maxBytes: number;
}

/**
 * Per-isolate LRU of parsed manifests. A ready deployment's manifest never changes, so entries never
 * expire; they are only evicted, least recently used first, when the count or the JSON size passes a bound.
 */
export class ManifestCache<T = Manifest> {
  readonly #entries = new Map<string, CacheEntry<T>>();
  readonly #loading = new Map<string, Promise<T | null>>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(options: ManifestCacheOptions) {
    this.#maxEntries = Math.max(1, options.maxEntries);
    this.#maxBytes = options.maxBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Returns the cached manifest, moving it to the most recently used end. */
  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.manifest;
  }

  /** Caches a manifest whose JSON was `bytes` long; one larger than the whole budget is not kept. */
  set(key: string, manifest: T, bytes: number): void {
    const previous = this.#entries.get(key);
    if (previous) {
      this.#entries.delete(key);
      this.#bytes -= previous.bytes;
    }
    if (bytes > this.#maxBytes) return;
    while (this.#entries.size >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes) {
      const oldest = this.#entries.entries().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value[0]);
      this.#bytes -= oldest.value[1].bytes;
    }
    this.#entries.set(key, { manifest, bytes });
    this.#bytes += bytes;
  }

  /** Shares one pending load per key between concurrent requests. */
  loadOnce(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const promise = load().finally(() => this.#loading.delete(key));
    this.#loading.set(key, promise);
    return promise;
  }
}

function isVariant(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== "object" || value === null) return false;
  const { hash, size } = value as Record<string, unknown>;
  return typeof hash === "string" && SHA256_PATTERN.test(hash) && Number.isSafeInteger(size);
}

function hasValidVariants(variants: unknown): boolean {
  if (variants === undefined) return true;
  if (typeof variants !== "object" || variants === null) return false;
  const { br, gzip } = variants as Record<string, unknown>;
  return isVariant(br) && isVariant(gzip);
}

function isEntry(value: unknown): value is ManifestEntry {
  if (typeof value !== "object" || value === null) return false;
  const { hash, size, contentType, variants } = value as Record<string, unknown>;
  return (
    hasValidVariants(variants) &&
    typeof hash === "string" &&
    SHA256_PATTERN.test(hash) &&
    typeof size === "number" &&
    Number.isSafeInteger(size) &&
    size >= 0 &&
    typeof contentType === "string" &&
    !/[\r\n]/.test(contentType)
  );
}

/**
 * Parses a stored manifest. The API wrote it, but its hashes end up in storage keys and headers,
 * so a malformed one is an error, never something to serve.
 */
export function parseManifest(text: string): Manifest {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null) throw new Error("manifest is not an object");
  const { version, deploymentId, files } = value as Record<string, unknown>;
  if (version !== 1) throw new Error(`unsupported manifest version ${String(version)}`);
  if (typeof deploymentId !== "string") throw new Error("manifest has no deploymentId");
  if (typeof files !== "object" || files === null || Array.isArray(files)) {
    throw new Error("manifest files is not an object");
  }
  for (const [path, entry] of Object.entries(files)) {
    if (!path.startsWith("/")) throw new Error(`manifest path ${JSON.stringify(path)} is not absolute`);
    if (!isEntry(entry)) throw new Error(`manifest entry for ${JSON.stringify(path)} is malformed`);
  }
  return { version, deploymentId, files: files as Record<string, ManifestEntry> };
}
