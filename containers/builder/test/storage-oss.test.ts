import { storageContract } from "@miaobu/storage/contract";
import OSS from "ali-oss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ossStorage } from "../../../packages/storage/src/oss.ts";
import { startOssTestServer } from "../../../test/support/oss-server.ts";
import { failNextUpload, type TestStoreServer } from "../../../test/support/store-server.ts";
import { aliOssStorage } from "../src/storage/oss.ts";

let server: TestStoreServer;

beforeAll(async () => {
  server = await startOssTestServer();
});

afterAll(async () => {
  await server?.close();
});

storageContract("oss (ali-oss)", () => ({
  storage: aliOssStorage(server.info.config),
  wrongCredentials: aliOssStorage(server.info.wrongCredentials),
  failNextUpload: () => failNextUpload(server.info),
}));

function bytesOfEveryValue(): Uint8Array {
  return Uint8Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) % 256);
}

describe("ali-oss and the Workers' signed fetch share a bucket", () => {
  it("reads with signed fetch what ali-oss wrote, byte for byte", async () => {
    const key = `shared/from-ali-oss/ünï code+&=.bin`;
    const bytes = bytesOfEveryValue();
    await aliOssStorage(server.info.config).put(key, bytes, { contentType: "application/x-test" });
    const object = await ossStorage(server.info.config).get(key);
    expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes);
    expect(object?.contentType).toBe("application/x-test");
    const listed = await ossStorage(server.info.config).list({ prefix: "shared/from-ali-oss/" });
    expect(listed.objects.map((o) => o.key)).toEqual([key]);
  });

  it("reads with ali-oss what signed fetch wrote, byte for byte, streams included", async () => {
    const bytes = bytesOfEveryValue();
    const fetchStorage = ossStorage(server.info.config);
    await fetchStorage.put("shared/from-fetch/a b.bin", bytes);
    await fetchStorage.put(
      "shared/from-fetch/stream.bin",
      new Response(bytes.slice()).body ?? new ReadableStream(),
      {
        length: bytes.byteLength,
      },
    );
    const ali = aliOssStorage(server.info.config);
    for (const key of ["shared/from-fetch/a b.bin", "shared/from-fetch/stream.bin"]) {
      const object = await ali.get(key);
      expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes);
      expect((await ali.head(key))?.etag).toBe(object?.etag);
    }
    const part = await ali.get("shared/from-fetch/a b.bin", { range: { offset: 2990, length: 20 } });
    expect(new Uint8Array((await part?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes.subarray(2990));
    expect(part?.size).toBe(3000);
  });

  it("reaches the bucket by host name too (path-style, ali-oss's sldEnable)", async () => {
    const byName = {
      ...server.info.config,
      endpoint: server.info.config.endpoint.replace("127.0.0.1", "localhost"),
    };
    await aliOssStorage(byName).put("shared/by-name.txt", "by name");
    expect(await (await ossStorage(server.info.config).get("shared/by-name.txt"))?.text()).toBe("by name");
    expect(await (await aliOssStorage(byName).get("shared/by-name.txt"))?.text()).toBe("by name");
  });
});

describe("the OSS test server", () => {
  function v4Client(secret: string): OSS {
    const { config } = server.info;
    return new OSS({
      accessKeyId: config.accessKeyId,
      accessKeySecret: secret,
      bucket: config.bucket,
      region: config.region,
      endpoint: config.endpoint,
      authorizationV4: true,
    });
  }

  it("checks ali-oss's V4 signatures (OSS4-HMAC-SHA256) as well", async () => {
    const client = v4Client(server.info.config.secretAccessKey);
    const keys = ["v4/a b.txt", "v4/plus+&=.txt", "v4/ünï~(1)!*'.txt"];
    for (const key of keys) await client.put(key, Buffer.from(key));
    expect(String((await client.get("v4/a b.txt")).content)).toBe("v4/a b.txt");
    const first = await client.listV2({ prefix: "v4/", "max-keys": 2 });
    expect(first.isTruncated).toBe(true);
    const second = await client.listV2({ prefix: "v4/", "continuation-token": first.nextContinuationToken });
    expect([...first.objects, ...second.objects].map((o) => o.name)).toEqual(
      [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    await client.deleteMulti(keys, { quiet: true });
    expect((await client.listV2({ prefix: "v4/" })).objects ?? []).toEqual([]);
    const wrong = await v4Client(server.info.wrongCredentials.secretAccessKey)
      .get("v4/a b.txt")
      .catch((error: { status?: number; code?: string }) => error);
    expect(wrong).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
  });
});
