import type { PutBody } from "@miaobu/storage/types";

/** A put body that is not a stream, as a Buffer over the same bytes (no copy for a Uint8Array). */
export function bufferOf(body: Exclude<PutBody, ReadableStream<Uint8Array>>): Buffer {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  return body instanceof Uint8Array
    ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    : Buffer.from(body);
}

/** A web stream's chunks as an async iterable, for SDKs that take Node streams. */
export async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
