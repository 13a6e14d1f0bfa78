import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { failNextUpload, type TestStoreInfo } from "../../../test/support/store-server.ts";
import { ossStorage } from "../src/oss.ts";
import { authorizationV1, encodeKey, stringToSignV1 } from "../src/oss-signature.ts";
import { StorageError } from "../src/types.ts";
import { childText, parseXml } from "../src/xml.ts";
import { storageContract } from "./contract.ts";

const info = JSON.parse(env.TEST_OSS) as TestStoreInfo;

storageContract("oss (signed fetch)", () => ({
  storage: ossStorage(info.config),
  wrongCredentials: ossStorage(info.wrongCredentials),
  failNextUpload: () => failNextUpload(info),
}));

describe("OSS signature V1", () => {
  it("signs the example of Alibaba's OSS API documentation", async () => {
    // The signature example of the original OSS API reference ("PUT /nelson" in bucket oss-example, with
    // its key pair and result), as the test suites of independent OSS clients in Go and Elixir quote it;
    // today's documentation masks the keys of its examples.
    const parts = {
      method: "PUT",
      headers: {
        "Content-Md5": "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
        "Content-Type": "text/html",
        "X-OSS-Meta-Author": "foo@bar.com",
        "X-OSS-Magic": "abracadabra",
      },
      date: "Thu, 17 Nov 2005 18:49:58 GMT",
      bucket: "oss-example",
      key: "nelson",
      query: [],
    };
    expect(stringToSignV1(parts)).toBe(
      "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\n" +
        "x-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson",
    );
    expect(
      await authorizationV1("44CF9590006BF252F707", "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", parts),
    ).toBe("OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA=");
  });

  it("signs with x-oss-date and sub-resources as Alibaba's own SDK does", async () => {
    // Cases of the V1 signer tests in Alibaba's own Go SDK (aliyun-oss-go-sdk, oss/signer/signer_test.go).
    const parts = {
      method: "PUT",
      headers: {
        "Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==",
        "Content-Type": "text/html",
        "x-oss-meta-author": "alice",
        "x-oss-meta-magic": "abracadabra",
        "x-oss-date": "Wed, 28 Dec 2022 10:27:41 GMT",
      },
      date: "Wed, 28 Dec 2022 10:27:41 GMT",
      bucket: "examplebucket",
      key: "nelson",
      query: [] as Array<[string, string]>,
    };
    expect(await authorizationV1("ak", "sk", parts)).toBe("OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=");
    expect(await authorizationV1("ak", "sk", { ...parts, query: [["acl", ""]] })).toBe(
      "OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=",
    );
    // Only the parameters OSS signs are part of the resource.
    const listing = {
      ...parts,
      key: "",
      query: [
        ["prefix", "a/"],
        ["list-type", "2"],
        ["continuation-token", "t+/="],
      ] as Array<[string, string]>,
    };
    expect(stringToSignV1(listing).split("\n").at(-1)).toBe("/examplebucket/?continuation-token=t+/=");
  });

  it("encodes keys so that OSS decodes the key that was signed", () => {
    expect(encodeKey("a b/plus+sign&amp=1.txt")).toBe("a%20b/plus%2Bsign%26amp%3D1.txt");
    expect(encodeKey("ünï/çødé~(1)!*'.txt")).toBe("%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9~%281%29%21%2A%27.txt");
    expect(decodeURIComponent(encodeKey("ünï/çødé~(1)!*'.txt"))).toBe("ünï/çødé~(1)!*'.txt");
  });
});

describe("the XML reader for OSS answers", () => {
  it("decodes entities, character references and CDATA", () => {
    const result = parseXml(
      '<?xml version="1.0"?>\n<!-- c --><R a="1"><K>a &amp; b &lt;&#39;&#x1F600;&quot;&gt;</K><C><![CDATA[<x>&amp;]]></C><E/></R>',
    );
    expect(childText(result, "K")).toBe(`a & b <'\u{1F600}">`);
    expect(childText(result, "C")).toBe("<x>&amp;");
    expect(childText(result, "E")).toBe("");
    expect(childText(result, "Missing")).toBeUndefined();
  });

  it.each([
    ["<!DOCTYPE x [<!ENTITY e 'x'>]><R/>"],
    ["<R><K>&unknown;</K></R>"],
    ["<R><K></R>"],
    ["<R/><S/>"],
    ["<R>"],
    ["text"],
  ])("refuses %s", (source) => {
    expect(() => parseXml(source)).toThrow();
  });
});

describe("the OSS test server", () => {
  async function signedGet(signedKey: string, requestedKey: string): Promise<Response> {
    const { config } = info;
    const date = new Date().toUTCString();
    const headers = { "x-oss-date": date };
    const authorization = await authorizationV1(config.accessKeyId, config.secretAccessKey, {
      method: "GET",
      headers,
      date,
      bucket: config.bucket,
      key: signedKey,
      query: [],
    });
    return fetch(`${config.endpoint}/${config.bucket}/${encodeKey(requestedKey)}`, {
      headers: { ...headers, authorization },
    });
  }

  it("refuses a signature that covers another key", async () => {
    const storage = ossStorage(info.config);
    await storage.put("tamper/mine.txt", "mine", { contentType: "text/plain" });
    await storage.put("tamper/theirs.txt", "theirs");
    const honest = await signedGet("tamper/mine.txt", "tamper/mine.txt");
    expect(honest.status).toBe(200);
    expect(await honest.text()).toBe("mine");
    const tampered = await signedGet("tamper/mine.txt", "tamper/theirs.txt");
    expect(tampered.status).toBe(403);
    const error = parseXml(await tampered.text());
    expect(childText(error, "Code")).toBe("SignatureDoesNotMatch");
    expect(childText(error, "RequestId")).toBe(tampered.headers.get("x-oss-request-id"));
  });

  it("refuses an unknown key id and an unsigned request", async () => {
    const unknown = ossStorage({ ...info.config, accessKeyId: "LTAI-nobody" });
    const error = await unknown.head("anything").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("unauthorized");
    expect((error as StorageError).message).toContain("InvalidAccessKeyId");
    const anonymous = await fetch(`${info.config.endpoint}/${info.config.bucket}/anything`);
    expect(anonymous.status).toBe(403);
    expect(childText(parseXml(await anonymous.text()), "Code")).toBe("AccessDenied");
  });

  it("names OSS's error code and never the secret", async () => {
    const error = await ossStorage(info.wrongCredentials)
      .get("secret.txt")
      .catch((caught: unknown) => caught);
    expect((error as StorageError).message).toContain("SignatureDoesNotMatch");
    expect((error as StorageError).message).not.toContain(info.wrongCredentials.secretAccessKey);
    expect((error as StorageError).status).toBe(403);
  });

  it("trims a range that runs past the end and refuses one that starts past it", async () => {
    const storage = ossStorage(info.config);
    await storage.put("range/short.txt", "0123456789");
    const part = await storage.get("range/short.txt", { range: { offset: 8, length: 10 } });
    expect(await part?.text()).toBe("89");
    expect(part?.size).toBe(10);
    await expect(storage.get("range/short.txt", { range: { offset: 20, length: 5 } })).rejects.toMatchObject({
      code: "rejected",
      status: 416,
    });
  });

  it("keeps to the range asked for when a store answers with the whole object", async () => {
    const whole: typeof fetch = async () =>
      new Response("0123456789", { headers: { etag: '"AB"', "last-modified": new Date().toUTCString() } });
    const part = await ossStorage(info.config, whole).get("any", { range: { offset: 2, length: 3 } });
    expect(await part?.text()).toBe("234");
    expect(part?.size).toBe(10);
  });

  it("refuses keys a URL would rewrite, and stream bodies of unknown length", async () => {
    const storage = ossStorage(info.config);
    await expect(storage.put("a/../b", "x")).rejects.toMatchObject({ code: "rejected" });
    await expect(storage.put("s", new Response("x").body ?? new ReadableStream())).rejects.toMatchObject({
      code: "rejected",
    });
  });

  it("reports a store that cannot be reached as unavailable", async () => {
    const closed = ossStorage({ ...info.config, endpoint: "http://127.0.0.1:9" });
    await expect(closed.head("x")).rejects.toMatchObject({ code: "unavailable" });
  });
});
