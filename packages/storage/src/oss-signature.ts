/**
 * OSS's header signature V1 ("Include a V1 signature in the Authorization header", Alibaba Cloud OSS docs):
 *
 *   Authorization = "OSS " + AccessKeyId + ":" + base64(hmac-sha1(AccessKeySecret,
 *     VERB + "\n" + Content-MD5 + "\n" + Content-Type + "\n" + Date + "\n"
 *     + CanonicalizedOSSHeaders + CanonicalizedResource))
 *
 * Date is the `x-oss-date` header when there is one (it wins over `Date`, and Workers cannot always set
 * `Date`), so it also appears among the canonicalized `x-oss-` headers. The resource is `/bucket/key` with
 * the key as stored (not URL-encoded), followed by the sub-resources of the query that OSS signs.
 */

/** Query parameters that are part of the canonicalized resource; any `x-oss-` parameter is too. */
const SIGNED_SUBRESOURCES = new Set([
  "acl",
  "append",
  "bucketInfo",
  "callback",
  "callback-var",
  "comp",
  "continuation-token",
  "cors",
  "delete",
  "encryption",
  "lifecycle",
  "live",
  "location",
  "logging",
  "objectMeta",
  "partNumber",
  "policy",
  "position",
  "qos",
  "referer",
  "replication",
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
  "response-content-language",
  "response-content-type",
  "response-expires",
  "restore",
  "security-token",
  "sequential",
  "stat",
  "status",
  "symlink",
  "tagging",
  "uploadId",
  "uploads",
  "versionId",
  "versioning",
  "versions",
  "website",
]);

/** The parts of a request that a V1 signature covers. */
export interface SignedPartsV1 {
  method: string;
  /** Header names in any case; only Content-MD5, Content-Type and `x-oss-*` are read. */
  headers: Readonly<Record<string, string>>;
  /** The `x-oss-date` or `Date` value. */
  date: string;
  bucket: string;
  /** The object key as stored; "" for the bucket itself. */
  key: string;
  /** The request's query parameters, decoded; a parameter without a value has "". */
  query: ReadonlyArray<readonly [string, string]>;
}

/** `/bucket/key?sub-resources`: the resource as OSS canonicalizes it for V1. */
export function canonicalizedResource(bucket: string, key: string, query: SignedPartsV1["query"]): string {
  const signed = query
    .filter(([name]) => SIGNED_SUBRESOURCES.has(name) || name.startsWith("x-oss-"))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === "" ? name : `${name}=${value}`));
  const resource = bucket ? `/${bucket}/${key}` : "/";
  return signed.length > 0 ? `${resource}?${signed.join("&")}` : resource;
}

/** The string a V1 signature signs. */
export function stringToSignV1(parts: SignedPartsV1): string {
  const lower = new Map(Object.entries(parts.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const ossHeaders = [...lower]
    .filter(([name]) => name.startsWith("x-oss-"))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value.trim()}\n`)
    .join("");
  return [
    parts.method.toUpperCase(),
    lower.get("content-md5") ?? "",
    lower.get("content-type") ?? "",
    parts.date,
    `${ossHeaders}${canonicalizedResource(parts.bucket, parts.key, parts.query)}`,
  ].join("\n");
}

const encoder = new TextEncoder();

function base64(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** base64(HMAC-SHA1(secret, text)) with WebCrypto, as workerd and Node both have it. */
export async function hmacSha1Base64(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  return base64(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
}

/** The `Authorization` header value for a request. */
export async function authorizationV1(
  accessKeyId: string,
  secret: string,
  parts: SignedPartsV1,
): Promise<string> {
  return `OSS ${accessKeyId}:${await hmacSha1Base64(secret, stringToSignV1(parts))}`;
}

/**
 * base64 of the body's MD5 for `Content-MD5`, or null where WebCrypto has no MD5: workerd has it as a
 * non-standard algorithm, Node's WebCrypto does not.
 */
export async function contentMd5(body: Uint8Array<ArrayBuffer>): Promise<string | null> {
  try {
    return base64(await crypto.subtle.digest("MD5", body));
  } catch {
    return null;
  }
}

/**
 * A key as a URL path: every byte percent-encoded except RFC 3986's unreserved characters and `/`, so the
 * key OSS decodes is the key that was signed.
 */
export function encodeKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, "/");
}
