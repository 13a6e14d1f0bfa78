import { storageContract } from "@miaobu/storage/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Storage } from "../../../packages/storage/src/s3.ts";
import { startS3TestServer } from "../../../test/support/s3-server.ts";
import { failNextUpload, type TestStoreServer } from "../../../test/support/store-server.ts";
import { s3SdkStorage } from "../src/storage/s3.ts";

let server: TestStoreServer;

beforeAll(async () => {
  server = await startS3TestServer();
});

afterAll(async () => {
  await server?.close();
});

storageContract("s3 (@aws-sdk/client-s3)", () => ({
  storage: s3SdkStorage(server.info.config),
  wrongCredentials: s3SdkStorage(server.info.wrongCredentials),
  failNextUpload: () => failNextUpload(server.info),
}));

describe("the SDK and the signed-fetch implementations share a bucket", () => {
  const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 256);

  it("reads with signed fetch what the SDK wrote, byte for byte", async () => {
    const key = `interop/${Date.now().toString(36)}/from sdk+ü.bin`;
    await s3SdkStorage(server.info.config).put(key, bytes, { contentType: "application/wasm" });
    const object = await s3Storage(server.info.config).get(key);
    expect(object).toMatchObject({ key, size: bytes.byteLength, contentType: "application/wasm" });
    expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes);
  });

  it("keeps an XML object as written (the test proxy repairs only s3rver's own XML)", async () => {
    const key = `interop/${Date.now().toString(36)}/feed.xml`;
    const xml = '<?xml version="1.0"?><feed><title>a &amp; b &lt;c&gt;</title></feed>';
    await s3Storage(server.info.config).put(key, xml, { contentType: "application/xml" });
    expect(await (await s3SdkStorage(server.info.config).get(key))?.text()).toBe(xml);
  });

  it("reads with the SDK what signed fetch wrote, byte for byte, and both list and delete it", async () => {
    const prefix = `interop/${Date.now().toString(36)}/`;
    const key = `${prefix}from fetch (1)&.bin`;
    const fetched = s3Storage(server.info.config);
    const sdk = s3SdkStorage(server.info.config);
    await fetched.put(key, new Blob([bytes]).stream(), { length: bytes.byteLength });
    const object = await sdk.get(key);
    expect(object?.size).toBe(bytes.byteLength);
    expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes);
    expect((await sdk.head(key))?.etag).toBe((await fetched.head(key))?.etag);
    await sdk.put(`${prefix}second`, "2");
    const listed = await fetched.list({ prefix });
    expect(listed.objects.map((object) => object.key)).toEqual([key, `${prefix}second`]);
    expect((await sdk.list({ prefix })).objects).toEqual(listed.objects);
    await sdk.delete([key]);
    await fetched.delete([`${prefix}second`]); // Content-MD5 from node:crypto: Node's WebCrypto has no MD5.
    expect(await fetched.head(key)).toBeNull();
    expect(await sdk.head(`${prefix}second`)).toBeNull();
  });
});
