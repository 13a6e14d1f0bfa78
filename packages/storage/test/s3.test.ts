import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { failNextUpload, type TestStoreInfo } from "../../../test/support/store-server.ts";
import { s3Storage } from "../src/s3.ts";
import { canonicalQuery, createSigner, EMPTY_SHA256, sha256Hex } from "../src/sigv4.ts";
import { storageContract } from "./contract.ts";

const info = JSON.parse(env.TEST_S3) as TestStoreInfo;
const config = info.config;

storageContract("s3 (signed fetch)", () => ({
  storage: s3Storage(info.config),
  wrongCredentials: s3Storage(info.wrongCredentials),
  failNextUpload: () => failNextUpload(info),
}));

/** A store whose requests are recorded and answered with `status` and `body`. */
function recorded(options: Partial<typeof config>, status = 200, body = "") {
  const requests: Request[] = [];
  const storage = s3Storage({ ...config, ...options }, async (input, init) => {
    requests.push(new Request(input, init));
    return new Response(status === 204 ? null : body, { status });
  });
  return { storage, requests };
}

describe("s3Storage", () => {
  it("addresses the bucket in the path or in the host, and encodes a key segment by segment", async () => {
    const key = "a b/+&=/ü~()!*'.txt";
    const path = recorded({ endpoint: "https://s3.example.com", bucket: "site", forcePathStyle: true });
    await path.storage.put(key, "x");
    expect(path.requests[0]?.url).toBe(
      "https://s3.example.com/site/a%20b/%2B%26%3D/%C3%BC~%28%29%21%2A%27.txt",
    );
    const host = recorded(
      { endpoint: "https://s3.example.com/", bucket: "site", forcePathStyle: false },
      200,
      "",
    );
    await host.storage.head("k");
    await host.storage.list({ prefix: "p/", limit: 5000 }).catch(() => undefined);
    expect(host.requests.map((request) => request.url)).toEqual([
      "https://site.s3.example.com/k",
      "https://site.s3.example.com/?list-type=2&max-keys=1000&prefix=p%2F",
    ]);
  });

  it("signs the payload: its SHA-256 for bytes, UNSIGNED-PAYLOAD for a stream", async () => {
    const { storage, requests } = recorded({});
    await storage.put("k", "hello");
    await storage.put("s", new Blob(["hello"]).stream(), { length: 5 });
    expect(requests.map((request) => request.headers.get("x-amz-content-sha256"))).toEqual([
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
      "UNSIGNED-PAYLOAD",
    ]);
    expect(requests[0]?.headers.get("authorization")).toMatch(
      /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it("refuses keys a URL would rewrite, ranges of no bytes and streams of unknown length", async () => {
    const { storage, requests } = recorded({});
    for (const call of [
      storage.get("a/../b"),
      storage.put("./a", "x"),
      storage.get("a", { range: { offset: 0, length: 0 } }),
      storage.put("a", new Blob(["x"]).stream()),
    ]) {
      await expect(call).rejects.toMatchObject({ name: "StorageError", code: "rejected" });
    }
    expect(requests).toEqual([]);
  });

  it("sends no request for no keys and one DeleteObjects per 1000 keys, with its Content-MD5", async () => {
    const { storage, requests } = recorded({}, 200, "<DeleteResult/>");
    await storage.delete([]);
    await storage.delete(Array.from({ length: 2001 }, (_, i) => `k${i}`));
    expect(requests.map((request) => [request.method, new URL(request.url).search])).toEqual([
      ["POST", "?delete"],
      ["POST", "?delete"],
      ["POST", "?delete"],
    ]);
    const body = await requests[2]?.text();
    expect(body).toContain("<Object><Key>k2000</Key></Object></Delete>");
    const md5 = new Uint8Array(await crypto.subtle.digest("MD5", new TextEncoder().encode(body)));
    expect(requests[2]?.headers.get("content-md5")).toBe(btoa(String.fromCharCode(...md5)));
  });

  it("maps S3's answers to error codes, with S3's code and message and never the secret", async () => {
    const xml = (code: string) => `<Error><Code>${code}</Code><Message>why &amp; how</Message></Error>`;
    const cases: [number, string, string][] = [
      [403, "SignatureDoesNotMatch", "unauthorized"],
      [503, "SlowDown", "unavailable"],
      [400, "InvalidArgument", "rejected"],
      [404, "NoSuchBucket", "rejected"],
    ];
    for (const [status, code, expected] of cases) {
      const { storage } = recorded({}, status, xml(code));
      const error = await storage.get("k").catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: expected, status });
      expect((error as Error).message).toContain(`${code}: why & how`);
      expect((error as Error).message).not.toContain(config.secretAccessKey);
    }
    expect(await recorded({}, 404, xml("NoSuchKey")).storage.get("k")).toBeNull();
    const failed = recorded(
      {},
      200,
      "<DeleteResult><Error><Key>k</Key><Code>AccessDenied</Code></Error></DeleteResult>",
    );
    await expect(failed.storage.delete(["k"])).rejects.toMatchObject({ code: "unauthorized" });
    const broken = s3Storage(config, async () => {
      throw new TypeError("connection refused");
    });
    await expect(broken.head("k")).rejects.toMatchObject({ code: "unavailable" });
  });
});

// Published vectors: the S3 API reference's "Example: GET Object" (sig-v4-header-based-auth) and cases of
// AWS's aws-sig-v4-test-suite (service "service", 2015-08-30).
const S3_EXAMPLE = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "s3",
};
const SUITE = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "service",
};
const SUITE_DATE = new Date("2015-08-30T12:36:00Z");
const SUITE_CREDENTIAL = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

describe("sigv4", () => {
  it("signs the S3 documentation's GET Object example", async () => {
    const signed = await createSigner(S3_EXAMPLE)(
      {
        method: "GET",
        url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
        headers: { Range: "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256 },
        payloadHash: EMPTY_SHA256,
      },
      new Date("2013-05-24T00:00:00Z"),
    );
    expect(signed.canonicalRequest).toBe(
      [
        "GET",
        "/test.txt",
        "",
        "host:examplebucket.s3.amazonaws.com",
        "range:bytes=0-9",
        `x-amz-content-sha256:${EMPTY_SHA256}`,
        "x-amz-date:20130524T000000Z",
        "",
        "host;range;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256,
      ].join("\n"),
    );
    expect(signed.stringToSign).toBe(
      "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
    );
    expect(signed.headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
  });

  it.each([
    [
      "get-vanilla-query-order-key-case",
      "/?Param2=value2&Param1=value1",
      {},
      "host;x-amz-date",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ],
    [
      "get-vanilla-utf8-query",
      "/?%E1%88%B4=bar",
      {},
      "host;x-amz-date",
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    ],
    [
      "get-header-value-trim",
      "/",
      { "My-Header1": " value1", "My-Header2": '"a   b   c"' },
      "host;my-header1;my-header2;x-amz-date",
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    ],
  ])("signs the test suite's %s", async (_name, target, headers, signedHeaders, signature) => {
    const signed = await createSigner(SUITE)(
      {
        method: "GET",
        url: new URL(`https://example.amazonaws.com${target}`),
        headers,
        payloadHash: EMPTY_SHA256,
      },
      SUITE_DATE,
    );
    expect(signed.headers.authorization).toBe(
      `${SUITE_CREDENTIAL}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    );
  });

  it("encodes queries the S3 way: + is a plus, every reserved character escaped, sorted by byte", () => {
    expect(canonicalQuery("?prefix=a+b%20c(1)!*'~&list-type=2&delete")).toBe(
      "delete=&list-type=2&prefix=a%2Bb%20c%281%29%21%2A%27~",
    );
    expect(canonicalQuery("?b=2&B=1&a=%C3%BC")).toBe("B=1&a=%C3%BC&b=2");
  });

  it("hashes like SHA-256", async () => {
    expect(await sha256Hex("")).toBe(EMPTY_SHA256);
  });
});
