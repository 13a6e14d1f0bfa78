/**
 * AWS Signature Version 4 for S3 over WebCrypto, written from the specification ("Authenticating Requests
 * (AWS Signature Version 4)" in the S3 API reference). It runs in workerd and in Node; the S3 test server
 * uses the same canonical forms to check signatures.
 */

export const ALGORITHM = "AWS4-HMAC-SHA256";
/** SHA-256 of no bytes: the payload hash of a request without a body. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** `s3` for S3 and S3-compatible stores. */
  service: string;
}

export interface SignableRequest {
  method: string;
  /** The URL as it goes on the wire: path segments and query already encoded with `uriEncode`. */
  url: URL;
  /** Headers to sign besides `host` and `x-amz-date`, which the signer adds. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
}

export interface SignedRequest {
  /** The request's headers with `host`, `x-amz-date` and `authorization` added (all lower case). */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

const encoder = new TextEncoder();

/** UTF-8 bytes. TextEncoder's are always over an ArrayBuffer, which WebCrypto and fetch's types ask for. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes every UTF-8 byte but the unreserved `A-Z a-z 0-9 - . _ ~`, in upper-case hex. */
export function uriEncode(value: string): string {
  let encoded = "";
  for (const char of value) {
    if (UNRESERVED.test(char)) {
      encoded += char;
      continue;
    }
    for (const byte of encoder.encode(char))
      encoded += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/** An object key as an S3 path: each segment encoded, the `/` between them kept. */
export function encodeKeyPath(key: string): string {
  return key.split("/").map(uriEncode).join("/");
}

/** A query string whose wire form is already canonical: encoded pairs sorted by name, then value. */
export function canonicalQueryOf(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a === b ? compare(x, y) : compare(a, b)))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

function compare(a: string, b: string): number {
  // Encoded strings are ASCII, so code-unit order is byte order (what SigV4 asks for), unlike localeCompare.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical path of a wire path: each segment decoded once and encoded again the SigV4 way. */
export function canonicalPath(pathname: string): string {
  if (pathname === "") return "/";
  return pathname
    .split("/")
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join("/");
}

/** The canonical query of a wire query (`?a=1&b`): `+` is a plus sign, never a space, in S3. */
export function canonicalQuery(search: string): string {
  const raw = search.startsWith("?") ? search.slice(1) : search;
  if (raw === "") return "";
  const pairs = raw.split("&").map((pair) => {
    const at = pair.indexOf("=");
    const name = at === -1 ? pair : pair.slice(0, at);
    const value = at === -1 ? "" : pair.slice(at + 1);
    return [decodeURIComponent(name), decodeURIComponent(value)] as const;
  });
  return canonicalQueryOf(pairs);
}

/** A header value as signed: outer whitespace trimmed, inner runs of spaces collapsed to one. */
export function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

/**
 * The canonical request over `signedHeaders` (lower-case names, any order) taken from `headers` (lower-case
 * names).
 */
export function canonicalRequestOf(
  method: string,
  url: URL,
  headers: Record<string, string>,
  signedHeaders: readonly string[],
  payloadHash: string,
): string {
  const names = [...signedHeaders].sort(compare);
  const lines = names.map((name) => `${name}:${canonicalHeaderValue(headers[name] ?? "")}\n`);
  return [
    method.toUpperCase(),
    canonicalPath(url.pathname),
    canonicalQuery(url.search),
    lines.join(""),
    names.join(";"),
    payloadHash,
  ].join("\n");
}

/** `20130524T000000Z` */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** `20130524/us-east-1/s3/aws4_request` */
export function credentialScope(
  day: string,
  credentials: Pick<SigV4Credentials, "region" | "service">,
): string {
  return `${day}/${credentials.region}/${credentials.service}/aws4_request`;
}

/** Hex SHA-256, as payload hashes and canonical requests are written. */
export async function sha256Hex(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = typeof data === "string" ? utf8(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/** Lower-case hex of bytes. */
export function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function hmac(key: ArrayBuffer | Uint8Array<ArrayBuffer>, data: string): Promise<ArrayBuffer> {
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return crypto.subtle.sign("HMAC", imported, encoder.encode(data));
}

/** The key of one day, region and service, derived from the secret. */
export async function signingKey(
  secretAccessKey: string,
  day: string,
  region: string,
  service: string,
): Promise<ArrayBuffer> {
  const dateKey = await hmac(utf8(`AWS4${secretAccessKey}`), day);
  const regionKey = await hmac(dateKey, region);
  const serviceKey = await hmac(regionKey, service);
  return hmac(serviceKey, "aws4_request");
}

/** The hex signature of a string to sign with a derived key. */
export async function signatureOf(key: ArrayBuffer, stringToSign: string): Promise<string> {
  return hex(await hmac(key, stringToSign));
}

/** The string to sign: algorithm, `x-amz-date`, scope and the canonical request's hash, a line each. */
export function stringToSignOf(timestamp: string, scope: string, canonicalRequest: string): Promise<string> {
  return sha256Hex(canonicalRequest).then((hash) => [ALGORITHM, timestamp, scope, hash].join("\n"));
}

/**
 * A signer for one set of credentials; the derived key is kept for the day it belongs to. Signs every header
 * it is given, so callers pass only headers that reach the server unchanged (not `content-length`, which
 * runtimes may set themselves).
 */
export function createSigner(credentials: SigV4Credentials) {
  let cached: { day: string; key: Promise<ArrayBuffer> } | undefined;
  return async function sign(request: SignableRequest, now: Date = new Date()): Promise<SignedRequest> {
    const timestamp = amzDate(now);
    const day = timestamp.slice(0, 8);
    if (cached?.day !== day) {
      cached = {
        day,
        key: signingKey(credentials.secretAccessKey, day, credentials.region, credentials.service),
      };
    }
    const key = cached.key;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    headers.host = request.url.host;
    headers["x-amz-date"] = timestamp;
    const signedHeaders = Object.keys(headers).sort(compare);
    const canonicalRequest = canonicalRequestOf(
      request.method,
      request.url,
      headers,
      signedHeaders,
      request.payloadHash,
    );
    const scope = credentialScope(day, credentials);
    const stringToSign = await stringToSignOf(timestamp, scope, canonicalRequest);
    const signature = await signatureOf(await key, stringToSign);
    headers.authorization =
      `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`;
    return { headers, canonicalRequest, stringToSign, signature };
  };
}
