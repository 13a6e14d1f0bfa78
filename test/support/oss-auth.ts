// How the OSS test server checks a request's signature, written from Alibaba Cloud's descriptions of the
// header signatures V1 ("OSS AccessKeyId:Signature", HMAC-SHA1) and V4 ("OSS4-HMAC-SHA256", as ali-oss
// sends it with `authorizationV4: true`). Independent of packages/storage/src/oss-signature.ts on purpose:
// a mistake shared by the client and the server would pass every test.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** A request as the server understood it. */
export interface ReceivedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  bucket: string;
  /** Decoded; "" for the bucket itself. */
  key: string;
  /** Decoded, in order; "" for a parameter without a value. */
  query: ReadonlyArray<readonly [string, string]>;
}

export type Verdict =
  | { ok: true; accessKeyId: string }
  | { ok: false; status: number; code: string; message: string; details?: Record<string, string> };

/** Parameters OSS puts into a V1 canonicalized resource (besides every `x-oss-` parameter). */
const SUBRESOURCES = new Set(
  (
    "acl append bucketInfo callback callback-var comp continuation-token cors delete encryption lifecycle live " +
    "location logging objectMeta partNumber policy position qos referer replication response-cache-control " +
    "response-content-disposition response-content-encoding response-content-language response-content-type " +
    "response-expires restore security-token sequential stat status symlink tagging uploadId uploads versionId " +
    "versioning versions website"
  ).split(" "),
);

const SKEW_MS = 15 * 60_000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function denied(code: string, message: string, details?: Record<string, string>): Verdict {
  return { ok: false, status: 403, code, message, ...(details ? { details } : {}) };
}

function skewed(time: number, now: number): Verdict | null {
  if (Number.isNaN(time)) return denied("AccessDenied", "Invalid date format of the request.");
  if (Math.abs(time - now) > SKEW_MS) {
    return denied(
      "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large.",
    );
  }
  return null;
}

function verifyV1(
  request: ReceivedRequest,
  authorization: string,
  secrets: ReadonlyMap<string, string>,
  now: number,
): Verdict {
  const match = /^OSS ([^:\s]+):(\S+)$/.exec(authorization);
  if (!match)
    return { ok: false, status: 400, code: "InvalidArgument", message: "Authorization header is invalid." };
  const [, accessKeyId = "", provided = ""] = match;
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) {
    return denied("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", {
      OSSAccessKeyId: accessKeyId,
    });
  }
  const date = header(request.headers, "x-oss-date") ?? header(request.headers, "date") ?? "";
  const stale = skewed(Date.parse(date), now);
  if (stale) return stale;
  const ossHeaders = Object.keys(request.headers)
    .filter((name) => name.startsWith("x-oss-"))
    .sort()
    .map((name) => `${name}:${(header(request.headers, name) ?? "").trim()}\n`)
    .join("");
  const subresources = request.query
    .filter(([name]) => SUBRESOURCES.has(name) || name.startsWith("x-oss-"))
    .sort(byName)
    .map(([name, value]) => (value ? `${name}=${value}` : name));
  const resource = `/${request.bucket}/${request.key}${subresources.length ? `?${subresources.join("&")}` : ""}`;
  const stringToSign = [
    request.method,
    header(request.headers, "content-md5") ?? "",
    header(request.headers, "content-type") ?? "",
    date,
    ossHeaders + resource,
  ].join("\n");
  const expected = createHmac("sha1", secret).update(stringToSign, "utf8").digest("base64");
  if (sameText(expected, provided)) return { ok: true, accessKeyId };
  return denied(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    { StringToSign: stringToSign, SignatureProvided: provided, OSSAccessKeyId: accessKeyId },
  );
}

/** RFC 3986 percent-encoding, as V4 canonicalizes URIs and queries. */
function encoded(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function verifyV4(
  request: ReceivedRequest,
  authorization: string,
  secrets: ReadonlyMap<string, string>,
  region: string,
  now: number,
): Verdict {
  const fields = new Map(
    authorization
      .slice("OSS4-HMAC-SHA256".length)
      .split(",")
      .map((part) => part.trim())
      .map((part) => [part.slice(0, Math.max(0, part.indexOf("="))), part.slice(part.indexOf("=") + 1)]),
  );
  const [accessKeyId = "", day = "", scopeRegion = "", product = "", terminal = ""] = (
    fields.get("Credential") ?? ""
  ).split("/");
  const provided = fields.get("Signature") ?? "";
  if (!accessKeyId || !provided || product !== "oss" || terminal !== "aliyun_v4_request") {
    return { ok: false, status: 400, code: "InvalidArgument", message: "Authorization header is invalid." };
  }
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) {
    return denied("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", {
      OSSAccessKeyId: accessKeyId,
    });
  }
  const timestamp = header(request.headers, "x-oss-date") ?? "";
  const [, year, month, date, hours, minutes, seconds] =
    /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(timestamp)?.map(Number) ?? [];
  const time =
    year === undefined ? Number.NaN : Date.UTC(year, (month ?? 1) - 1, date, hours, minutes, seconds);
  const stale = skewed(time, now);
  if (stale) return stale;
  if (timestamp.slice(0, 8) !== day || scopeRegion !== region.replace(/^oss-/, "")) {
    return {
      ok: false,
      status: 400,
      code: "InvalidArgument",
      message: "Invalid signing date or region in the credential.",
    };
  }
  const payload = header(request.headers, "x-oss-content-sha256");
  if (payload !== "UNSIGNED-PAYLOAD") {
    return {
      ok: false,
      status: 400,
      code: "InvalidArgument",
      message: "x-oss-content-sha256 must be UNSIGNED-PAYLOAD.",
    };
  }
  const additional = (fields.get("AdditionalHeaders") ?? "").split(";").filter(Boolean);
  const signedHeaders = [
    ...new Set([
      ...Object.keys(request.headers).filter(
        (n) => n === "content-type" || n === "content-md5" || n.startsWith("x-oss-"),
      ),
      ...additional,
    ]),
  ].sort();
  const canonicalRequest = [
    request.method,
    encoded(`/${request.bucket}/${request.key}`).replace(/%2F/g, "/"),
    request.query
      .map(([name, value]) => [encoded(name), encoded(value)] as const)
      .sort(byName)
      .map(([name, value]) => (value ? `${name}=${value}` : name))
      .join("&"),
    signedHeaders.map((name) => `${name}:${(header(request.headers, name) ?? "").trim()}\n`).join(""),
    additional.join(";"),
    payload,
  ].join("\n");
  const scope = `${day}/${scopeRegion}/oss/aliyun_v4_request`;
  const stringToSign = [
    "OSS4-HMAC-SHA256",
    timestamp,
    scope,
    createHash("sha256").update(canonicalRequest, "utf8").digest("hex"),
  ].join("\n");
  let key: Buffer = createHmac("sha256", `aliyun_v4${secret}`).update(day).digest();
  for (const part of [scopeRegion, "oss", "aliyun_v4_request"])
    key = createHmac("sha256", key).update(part).digest();
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  if (sameText(expected, provided)) return { ok: true, accessKeyId };
  return denied(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    {
      CanonicalRequest: canonicalRequest,
      StringToSign: stringToSign,
      SignatureProvided: provided,
      OSSAccessKeyId: accessKeyId,
    },
  );
}

/** Checks the `Authorization` header of a request against the known key pairs. */
export function verifySignature(
  request: ReceivedRequest,
  secrets: ReadonlyMap<string, string>,
  region: string,
  now = Date.now(),
): Verdict {
  const authorization = header(request.headers, "authorization");
  if (!authorization) {
    return denied("AccessDenied", "You have no right to access this object because of bucket acl.");
  }
  if (authorization.startsWith("OSS4-HMAC-SHA256 "))
    return verifyV4(request, authorization, secrets, region, now);
  return verifyV1(request, authorization, secrets, now);
}
