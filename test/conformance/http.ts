// One raw HTTP exchange on loopback: the request path goes on the wire exactly as generated (no client
// normalizes `..`, `%2e` or `//`), and the body is decoded from whatever Content-Encoding was chosen.
import { createHash } from "node:crypto";
import http from "node:http";
import zlib from "node:zlib";

export interface WireRequest {
  method: string;
  /** Path and query as sent in the request line. */
  path: string;
  headers: Record<string, string>;
}

export interface WireResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** SHA-256 of the decoded body, and its first bytes for reports. */
  bodyHash: string;
  bodyPreview: string;
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  // A HEAD answer or a 304 names the encoding a GET would use, with no bytes.
  if (body.length === 0) return body;
  switch ((encoding ?? "").trim().toLowerCase()) {
    case "gzip":
      return zlib.gunzipSync(body);
    case "br":
      return zlib.brotliDecompressSync(body);
    case "deflate":
      return zlib.inflateSync(body);
    default:
      return body;
  }
}

/** Sends one request to 127.0.0.1:port and reads the whole answer. */
export function send(port: number, request: WireRequest, timeoutMs = 15_000): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: request.method,
        path: request.path,
        headers: request.headers,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = (res.rawHeaders[i] ?? "").toLowerCase();
            const value = res.rawHeaders[i + 1] ?? "";
            headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
          }
          let body: Buffer;
          try {
            body = decode(Buffer.concat(chunks), headers["content-encoding"]);
          } catch (error) {
            reject(new Error(`undecodable ${headers["content-encoding"]} body: ${String(error)}`));
            return;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            bodyHash: createHash("sha256").update(body).digest("hex").slice(0, 16),
            bodyPreview: body.subarray(0, 60).toString("latin1"),
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    // A method that may carry a body gets a small one, as a form post would.
    if (request.method === "POST" || request.method === "PUT") req.end("a=1");
    else req.end();
  });
}
