import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  canonicalRequestOf,
  credentialScope,
  signatureOf,
  signingKey,
  stringToSignOf,
} from "../../packages/storage/src/sigv4.ts";

/** Why S3 refuses a request, as it says so: status and `<Error>` code and message. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** The key pair and region the checked server accepts. */
export interface SigningAccount {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

const MAX_SKEW_MS = 15 * 60_000;

/** A request header as one string, repeats joined. */
function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * What S3 would refuse a request for, checked the way S3 does: a SigV4 `Authorization` header over the
 * canonical request, every `x-amz-*` header signed, the time within 15 minutes, and the body against
 * `x-amz-content-sha256` and `Content-MD5`. Null when the request may go on.
 */
export async function refusalOf(
  req: IncomingMessage,
  body: Buffer,
  account: SigningAccount,
): Promise<Refusal | null> {
  const authorization = header(req, "authorization");
  if (!authorization) return { status: 403, code: "AccessDenied", message: "Access Denied" };
  const match = AUTHORIZATION.exec(authorization);
  if (!match) {
    return {
      status: 400,
      code: "AuthorizationHeaderMalformed",
      message: "The authorization header is malformed.",
    };
  }
  const [, accessKeyId = "", day = "", region = "", service = "", signedList = "", signature = ""] = match;
  if (accessKeyId !== account.accessKeyId) {
    return {
      status: 403,
      code: "InvalidAccessKeyId",
      message: "The AWS Access Key Id you provided does not exist in our records.",
    };
  }
  if (region !== account.region || service !== "s3") {
    return {
      status: 400,
      code: "AuthorizationHeaderMalformed",
      message: `The authorization header is malformed; the region/service '${region}/${service}' is wrong; expecting '${account.region}/s3'.`,
    };
  }
  const signedHeaders = signedList.split(";");
  const unsigned = Object.keys(req.headers).filter(
    (name) => name.startsWith("x-amz-") && !signedHeaders.includes(name),
  );
  if (!signedHeaders.includes("host") || unsigned.length > 0) {
    return {
      status: 403,
      code: "AccessDenied",
      message: `There were headers present in the request which were not signed: ${unsigned.join(", ") || "host"}`,
    };
  }
  const timestamp = header(req, "x-amz-date") ?? "";
  const time = Date.parse(
    timestamp.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"),
  );
  if (!signedHeaders.includes("x-amz-date") || !timestamp.startsWith(day) || Number.isNaN(time)) {
    return {
      status: 403,
      code: "AccessDenied",
      message: "AWS authentication requires a valid x-amz-date header.",
    };
  }
  if (Math.abs(Date.now() - time) > MAX_SKEW_MS) {
    return {
      status: 403,
      code: "RequestTimeTooSkewed",
      message: "The difference between the request time and the current time is too large.",
    };
  }
  const payloadHash = header(req, "x-amz-content-sha256");
  if (!payloadHash) {
    return { status: 400, code: "InvalidRequest", message: "Missing required header: x-amz-content-sha256" };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = header(req, name) ?? "";
  const url = new URL(req.url ?? "/", `http://${header(req, "host")}`);
  let canonicalRequest: string;
  try {
    canonicalRequest = canonicalRequestOf(req.method ?? "GET", url, headers, signedHeaders, payloadHash);
  } catch {
    return { status: 400, code: "InvalidURI", message: "Couldn't parse the specified URI." };
  }
  const scope = credentialScope(day, { region, service });
  const stringToSign = await stringToSignOf(timestamp, scope, canonicalRequest);
  const expected = await signatureOf(
    await signingKey(account.secretAccessKey, day, region, service),
    stringToSign,
  );
  if (expected !== signature) {
    return {
      status: 403,
      code: "SignatureDoesNotMatch",
      message:
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    };
  }
  if (/^[0-9a-f]{64}$/.test(payloadHash) && createHash("sha256").update(body).digest("hex") !== payloadHash) {
    return {
      status: 400,
      code: "XAmzContentSHA256Mismatch",
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  }
  const md5 = header(req, "content-md5");
  if (md5 !== undefined && createHash("md5").update(body).digest("base64") !== md5) {
    return {
      status: 400,
      code: "BadDigest",
      message: "The Content-MD5 you specified did not match what we received.",
    };
  }
  return null;
}
