import { ApiError } from "../errors.ts";

/** Reads a request body, refusing it with 413 as soon as it passes `max` bytes. */
export async function readBody(request: Request, max: number, what: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiError("payload_too_large", `${what} is larger than the limit of ${max} bytes.`);
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) > max) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** The media type of a Content-Type header, lowercased, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}
