// The bucket-level operations of the OSS test server: ListObjects (v1: prefix, marker, max-keys, delimiter),
// ListObjectsV2 (list-type=2, continuation-token, start-after, fetch-owner) and DeleteMultipleObjects, with
// the answers' XML as OSS writes it.
import { createHash } from "node:crypto";
import { childrenNamed, childText, parseXml } from "../../packages/storage/src/xml.ts";

/** An answer with OSS's XML error document: `<Error><Code>…</Code><Message>…</Message>…</Error>`. */
export class OssError extends Error {
  readonly status: number;
  readonly code: string;
  /** More elements of the error document, e.g. `StringToSign`. */
  readonly details: Record<string, string>;
  // Plain fields, not parameter properties: Node runs the benchmarks by stripping types only.
  constructor(status: number, code: string, message: string, details: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** One object the OSS test server holds. */
export interface StoredOssObject {
  body: Buffer;
  /** Upper-case hex MD5, as OSS's ETag of a simple upload. */
  etag: string;
  lastModified: Date;
  contentType: string;
  /** `x-oss-meta-*` headers. */
  meta: Record<string, string>;
}

const OWNER = "<Owner><ID>1234567890</ID><DisplayName>1234567890</DisplayName></Owner>";

/** Text escaped for XML with character references. */
export function xmlText(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** OSS orders keys by their UTF-8 bytes. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

interface Page {
  objects: Array<[string, StoredOssObject]>;
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix of the page. */
  last: string;
}

function page(
  objects: ReadonlyMap<string, StoredOssObject>,
  prefix: string,
  delimiter: string,
  after: string,
  max: number,
): Page {
  const result: Page = { objects: [], prefixes: [], truncated: false, last: "" };
  const skipGroup = delimiter && after.endsWith(delimiter) ? after : null;
  const keys = [...objects.keys()]
    .filter(
      (key) => key.startsWith(prefix) && byBytes(key, after) > 0 && !(skipGroup && key.startsWith(skipGroup)),
    )
    .sort(byBytes);
  for (const key of keys) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const group = cut >= 0 ? key.slice(0, cut + delimiter.length) : null;
    if (group !== null && result.prefixes.at(-1) === group) continue;
    if (result.objects.length + result.prefixes.length >= max) {
      result.truncated = true;
      break;
    }
    const object = objects.get(key);
    if (group !== null) result.prefixes.push(group);
    else if (object) result.objects.push([key, object]);
    result.last = group ?? key;
  }
  return result;
}

function contents(
  key: string,
  object: StoredOssObject,
  owner: boolean,
  encode: (text: string) => string,
): string {
  return (
    `<Contents><Key>${encode(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified>` +
    `<ETag>"${object.etag}"</ETag><Type>Normal</Type><Size>${object.body.byteLength}</Size>` +
    `<StorageClass>Standard</StorageClass>${owner ? OWNER : ""}</Contents>`
  );
}

function argument(name: string, message: string): OssError {
  return new OssError(400, "InvalidArgument", message, { ArgumentName: name });
}

/** The ListBucketResult of a GET on the bucket: ListObjectsV2 with `list-type=2`, ListObjects without. */
export function listBucket(
  bucket: string,
  objects: ReadonlyMap<string, StoredOssObject>,
  query: ReadonlyArray<readonly [string, string]>,
): string {
  const params = new Map(query);
  const prefix = params.get("prefix") ?? "";
  const delimiter = params.get("delimiter") ?? "";
  const maxKeys = Number(params.get("max-keys") ?? "100");
  if (!Number.isInteger(maxKeys) || maxKeys < 0 || maxKeys > 1000) {
    throw argument("max-keys", "max-keys must be an integer from 0 to 1000.");
  }
  const encoding = params.get("encoding-type");
  if (encoding !== undefined && encoding !== "url")
    throw argument("encoding-type", "encoding-type must be url.");
  const encode = (text: string) => xmlText(encoding === "url" ? encodeURIComponent(text) : text);
  const entries = (list: Page, owner: boolean) =>
    list.objects.map(([key, object]) => contents(key, object, owner, encode)).join("") +
    list.prefixes.map((p) => `<CommonPrefixes><Prefix>${encode(p)}</Prefix></CommonPrefixes>`).join("");
  const head =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${xmlText(bucket)}</Name>` +
    `<Prefix>${encode(prefix)}</Prefix><MaxKeys>${maxKeys}</MaxKeys>` +
    (delimiter ? `<Delimiter>${encode(delimiter)}</Delimiter>` : "") +
    (encoding ? "<EncodingType>url</EncodingType>" : "");

  if (params.get("list-type") !== "2") {
    const marker = params.get("marker") ?? "";
    const list = page(objects, prefix, delimiter, marker, maxKeys);
    return (
      `${head}<Marker>${encode(marker)}</Marker><IsTruncated>${list.truncated}</IsTruncated>` +
      (list.truncated ? `<NextMarker>${encode(list.last)}</NextMarker>` : "") +
      `${entries(list, true)}</ListBucketResult>\n`
    );
  }
  const token = params.get("continuation-token");
  const startAfter = params.get("start-after");
  let after = startAfter ?? "";
  if (token !== undefined) {
    // The token is the last key or common prefix of the previous page, base64url-encoded.
    after = Buffer.from(token, "base64url").toString("utf8");
    if (!token || Buffer.from(after).toString("base64url") !== token) {
      throw argument("continuation-token", "The continuation-token is not valid.");
    }
  }
  const list = page(objects, prefix, delimiter, after, maxKeys);
  return (
    head +
    (startAfter !== undefined ? `<StartAfter>${encode(startAfter)}</StartAfter>` : "") +
    (token !== undefined ? `<ContinuationToken>${xmlText(token)}</ContinuationToken>` : "") +
    `<IsTruncated>${list.truncated}</IsTruncated>` +
    (list.truncated
      ? `<NextContinuationToken>${Buffer.from(list.last).toString("base64url")}</NextContinuationToken>`
      : "") +
    entries(list, params.get("fetch-owner") === "true") +
    `<KeyCount>${list.objects.length + list.prefixes.length}</KeyCount></ListBucketResult>\n`
  );
}

/**
 * DeleteMultipleObjects (`POST /?delete`): the keys of a `<Delete>` document, whose Content-MD5 is required
 * and checked, all removed; the DeleteResult lists them unless the request asked to be quiet.
 */
export function deleteObjects(
  objects: Map<string, StoredOssObject>,
  body: Buffer,
  contentMd5: string | undefined,
  query: ReadonlyArray<readonly [string, string]>,
): string {
  if (contentMd5 === undefined) {
    throw new OssError(400, "MissingArgument", "Missing Some Required Arguments.", {
      ArgumentName: "Content-MD5",
    });
  }
  if (contentMd5 !== createHash("md5").update(body).digest("base64")) {
    throw new OssError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
  }
  const urlEncoded = query.some(([name, value]) => name === "encoding-type" && value === "url");
  let keys: string[] = [];
  let quiet = false;
  try {
    const document = parseXml(body.toString("utf8"));
    if (document.name === "Delete") {
      keys = childrenNamed(document, "Object").map((object) => childText(object, "Key") ?? "");
      if (urlEncoded) keys = keys.map((key) => decodeURIComponent(key));
      quiet = childText(document, "Quiet")?.trim() === "true";
    }
  } catch {
    keys = [];
  }
  if (keys.length === 0 || keys.length > 1000 || keys.includes("")) {
    throw new OssError(
      400,
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema.",
    );
  }
  for (const key of keys) objects.delete(key);
  const deleted = quiet ? "" : keys.map((key) => `<Deleted><Key>${xmlText(key)}</Key></Deleted>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult>${deleted}</DeleteResult>\n`;
}
