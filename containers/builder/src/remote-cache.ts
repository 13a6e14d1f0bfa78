// Dependency caches kept in the platform's storage, through the API's cache endpoints of the build.
import { createWriteStream, openAsBlob } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { CacheStore } from "./cache.ts";
import { type CallbackClient, CallbackError, sleep } from "./callback.ts";

/** `projects/{projectId}/cache/{name}` as `archiveKey` makes it; the API knows the project itself. */
const KEY = /^projects\/[^/]+\/cache\/([a-f0-9]{64}\.tar\.zst)$/;
const ATTEMPTS = 3;

/**
 * A cache store over `GET`/`PUT /api/v1/builds/{id}/cache/{key}` with the build's callback token: storage
 * at `projects/{projectId}/cache/{key}`, the project being the deployment's. Both directions stream: the
 * archive is sent from disk with its `Content-Length` and written to disk as it arrives.
 */
export class CallbackCacheStore implements CacheStore {
  readonly #client: CallbackClient;
  readonly #base: string;
  readonly #signal: AbortSignal | undefined;

  constructor(client: CallbackClient, deploymentId: string, signal?: AbortSignal) {
    this.#client = client;
    this.#base = `/api/v1/builds/${encodeURIComponent(deploymentId)}/cache/`;
    this.#signal = signal;
  }

  async get(key: string, file: string): Promise<boolean> {
    const path = this.#path(key);
    const partial = `${file}.part`;
    return this.#retry(async () => {
      const response = await this.#client.open("GET", path, this.#signal ? { signal: this.#signal } : {});
      if (response.status === 404) {
        await response.body?.cancel();
        return false;
      }
      if (!response.ok || !response.body) throw await failure("GET", path, response);
      try {
        const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
        await pipeline(body, createWriteStream(partial, { mode: 0o600 }));
        await rename(partial, file);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return true;
    });
  }

  async put(key: string, file: string): Promise<void> {
    const path = this.#path(key);
    await this.#retry(async () => {
      // A file-backed Blob: fetch sends its size as Content-Length and reads the file as it goes.
      const body = await openAsBlob(file, { type: "application/zstd" });
      const response = await this.#client.open("PUT", path, {
        body,
        contentType: "application/zstd",
        ...(this.#signal ? { signal: this.#signal } : {}),
      });
      if (!response.ok) throw await failure("PUT", path, response);
      await response.body?.cancel();
    });
  }

  #path(key: string): string {
    const name = KEY.exec(key)?.[1];
    if (!name) throw new Error(`bad cache key ${key}`);
    return `${this.#base}${name}`;
  }

  /** Network failures, 429 and 5xx are tried again; anything else is final. */
  async #retry<T>(work: () => Promise<T>): Promise<T> {
    let delay = 500;
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const transient = !(error instanceof CallbackError) || error.status === 429 || error.status >= 500;
        if (!transient || attempt >= ATTEMPTS || this.#signal?.aborted) throw error;
        await sleep(delay, this.#signal);
        delay *= 2;
      }
    }
  }
}

async function failure(method: string, path: string, response: Response): Promise<CallbackError> {
  const text = await response.text().catch(() => "");
  let detail = text.slice(0, 200);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && "detail" in parsed) detail = String(parsed.detail);
  } catch {
    // Not JSON.
  }
  return new CallbackError(response.status, text, `${method} ${path} answered ${response.status}: ${detail}`);
}
