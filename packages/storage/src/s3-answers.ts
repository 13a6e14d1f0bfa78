/** Reading S3's answers: an object's headers, `<Error>`, and the XML of ListObjectsV2 and DeleteObjects. */
import { type ListPage, StorageError, type StorageErrorCode, type StoredObject } from "./types.ts";
import { childrenNamed, childText, parseXml, type XmlElement } from "./xml.ts";

/** What S3 says in an `<Error>` answer (or, for HEAD, nothing but the status). */
export interface S3Failure {
  code: string;
  message: string;
}

/** One key DeleteObjects could not delete. */
export interface DeleteFailure extends S3Failure {
  key: string;
}

export function codeForStatus(status: number): StorageErrorCode {
  if (status === 401 || status === 403) return "unauthorized";
  // 429 is what some S3-compatible stores send for S3's 503 SlowDown: worth retrying all the same.
  if (status >= 500 || status === 429) return "unavailable";
  return "rejected";
}

export function codeForS3Error(code: string): StorageErrorCode {
  if (["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"].includes(code)) return "unauthorized";
  if (["InternalError", "ServiceUnavailable", "SlowDown"].includes(code)) return "unavailable";
  return "rejected";
}

/** An entity tag without its quotes (and without `W/`, which S3 does not send but proxies may). */
export function unquoted(etag: string | null | undefined): string {
  return (etag ?? "").replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/** An object as GetObject and HeadObject describe it in their headers. */
export function describedBy(key: string, headers: Headers, size: number): StoredObject {
  const contentType = headers.get("content-type");
  return {
    key,
    size,
    etag: unquoted(headers.get("etag")),
    uploaded: Date.parse(headers.get("last-modified") ?? "") || 0,
    ...(contentType ? { contentType } : {}),
  };
}

/** The `<Error>` of a failed answer; HEAD answers have no body, so only the status speaks for them. */
export async function failureOf(response: Response): Promise<S3Failure> {
  const text = await response.text().catch(() => "");
  if (!text) return { code: "", message: response.statusText };
  try {
    const root = parseXml(text);
    if (root.name === "Error") {
      return { code: childText(root, "Code") ?? "", message: childText(root, "Message") ?? "" };
    }
  } catch {
    // Not S3's XML (a proxy's error page, say): quote the start of it.
  }
  return { code: "", message: text.slice(0, 200) };
}

/** The error of a call (`what`: "get some/key") that S3 answered with `status`. */
export function failedCall(what: string, status: number, failure: S3Failure): StorageError {
  const detail = [failure.code, failure.message].filter(Boolean).join(": ");
  return new StorageError(
    codeForStatus(status),
    `S3 ${what} failed: HTTP ${status}${detail ? ` ${detail}` : ""}`,
    status,
  );
}

function listedObject(contents: XmlElement): StoredObject {
  const key = childText(contents, "Key");
  const size = Number(childText(contents, "Size"));
  if (key === undefined || !Number.isSafeInteger(size)) throw new Error("a <Contents> without Key or Size");
  return {
    key,
    size,
    etag: unquoted(childText(contents, "ETag")),
    uploaded: Date.parse(childText(contents, "LastModified") ?? "") || 0,
  };
}

/** A ListObjectsV2 answer as a page; throws for XML that is not one. */
export function listPageOf(xml: string): ListPage {
  const root = parseXml(xml);
  if (root.name !== "ListBucketResult") throw new Error(`<${root.name}> instead of <ListBucketResult>`);
  const objects = childrenNamed(root, "Contents").map(listedObject);
  if (childText(root, "IsTruncated") !== "true") return { objects };
  const cursor = childText(root, "NextContinuationToken");
  // Ending the listing here would quietly leave keys out (of a cleanup, say).
  if (!cursor) throw new Error("a truncated listing without NextContinuationToken");
  return { objects, cursor };
}

/** The keys a DeleteObjects answer reports as not deleted; throws for XML that is not one. */
export function deleteFailuresOf(xml: string): DeleteFailure[] {
  const root = parseXml(xml);
  if (root.name !== "DeleteResult") throw new Error(`<${root.name}> instead of <DeleteResult>`);
  return childrenNamed(root, "Error").map((error) => ({
    key: childText(error, "Key") ?? "",
    code: childText(error, "Code") ?? "",
    message: childText(error, "Message") ?? "",
  }));
}
