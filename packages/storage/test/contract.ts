import { describe, expect, it } from "vitest";
import { type Storage, StorageError } from "../src/types.ts";

/** One backend under test, as the contract needs it. */
export interface ContractTarget {
  storage: Storage;
  /** The same store reached with a wrong secret; absent where there are no credentials (the R2 binding). */
  wrongCredentials?: Storage;
  /**
   * Arms the server to break the next upload after part of its body arrived (an HTTP 500, then the
   * connection closed); absent where there is no server of our own (R2 in workerd).
   */
  failNextUpload?: () => Promise<void>;
}

const encoder = new TextEncoder();

function prefixFor(name: string): string {
  return `contract/${name}/${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}/`;
}

function bytesOfEveryValue(): Uint8Array {
  return Uint8Array.from({ length: 1024 }, (_, i) => (i * 7 + 3) % 256);
}

/** A stream of `total` bytes that errors after sending `failAfter` of them. */
function failingStream(total: number, failAfter: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= failAfter) {
        controller.error(new Error("the source broke mid-upload"));
        return;
      }
      const size = Math.min(4096, failAfter - sent, total - sent);
      controller.enqueue(new Uint8Array(size).fill(120));
      sent += size;
    },
  });
}

async function expectStorageError(promise: Promise<unknown>, code?: StorageError["code"]): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, "the call should have failed").toBeInstanceOf(StorageError);
  if (code) expect((error as StorageError).code).toBe(code);
}

/**
 * The behaviour every backend owes its callers (docs/storage.md): the API, the router and the builder rely
 * on exactly this and nothing more.
 */
export function storageContract(name: string, target: () => ContractTarget | Promise<ContractTarget>): void {
  describe(`storage contract: ${name}`, () => {
    it("puts and gets an object with its size, etag and content type", async () => {
      const { storage } = await target();
      const key = `${prefixFor(name)}index.html`;
      await storage.put(key, "<h1>hello</h1>", { contentType: "text/html; charset=utf-8" });
      const object = await storage.get(key);
      expect(object).not.toBeNull();
      expect(await object?.text()).toBe("<h1>hello</h1>");
      expect(object?.size).toBe(14);
      expect(object?.etag).toMatch(/^[^"]+$/);
      expect(object?.contentType).toBe("text/html; charset=utf-8");
      expect(object?.key).toBe(key);
      expect(Math.abs((object?.uploaded ?? 0) - Date.now())).toBeLessThan(10 * 60_000);
    });

    it("keeps binary bodies byte for byte, from bytes, buffers and streams", async () => {
      const { storage } = await target();
      const prefix = prefixFor(name);
      const bytes = bytesOfEveryValue();
      await storage.put(`${prefix}a.bin`, bytes);
      await storage.put(`${prefix}b.bin`, bytes.slice().buffer);
      await storage.put(
        `${prefix}c.bin`,
        new ReadableStream({
          start(controller) {
            controller.enqueue(bytes.subarray(0, 500));
            controller.enqueue(bytes.subarray(500));
            controller.close();
          },
        }),
        { length: bytes.byteLength },
      );
      for (const key of ["a.bin", "b.bin", "c.bin"]) {
        const object = await storage.get(`${prefix}${key}`);
        expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes);
      }
      const streamed = await storage.get(`${prefix}a.bin`);
      expect(new Uint8Array(await new Response(streamed?.body).arrayBuffer())).toEqual(bytes);
    });

    it("stores an empty object", async () => {
      const { storage } = await target();
      const key = `${prefixFor(name)}empty`;
      await storage.put(key, new Uint8Array(0));
      expect((await storage.head(key))?.size).toBe(0);
      expect(await (await storage.get(key))?.text()).toBe("");
    });

    it("replaces an object that is put again", async () => {
      const { storage } = await target();
      const key = `${prefixFor(name)}twice.txt`;
      await storage.put(key, "first");
      await storage.put(key, "second, longer");
      expect(await (await storage.get(key))?.text()).toBe("second, longer");
      expect((await storage.head(key))?.size).toBe(14);
    });

    it("handles keys that need escaping when signed", async () => {
      const { storage } = await target();
      const prefix = prefixFor(name);
      const keys = [
        `${prefix}with space.txt`,
        `${prefix}plus+sign&amp=1.txt`,
        `${prefix}ünï/çødé~(1)!*'.txt`,
      ];
      for (const key of keys) await storage.put(key, key);
      for (const key of keys) expect(await (await storage.get(key))?.text()).toBe(key);
      const listed = await storage.list({ prefix });
      expect(listed.objects.map((o) => o.key).sort()).toEqual([...keys].sort());
    });

    it("heads an object without reading it, and answers null for a missing key", async () => {
      const { storage } = await target();
      const prefix = prefixFor(name);
      await storage.put(`${prefix}here.css`, "body{}", { contentType: "text/css" });
      const head = await storage.head(`${prefix}here.css`);
      expect(head).toMatchObject({ key: `${prefix}here.css`, size: 6, contentType: "text/css" });
      expect(await storage.head(`${prefix}missing.css`)).toBeNull();
      expect(await storage.get(`${prefix}missing.css`)).toBeNull();
      expect(await storage.get(`${prefix}missing.css`, { range: { offset: 0, length: 1 } })).toBeNull();
    });

    it("reads a byte range and still reports the whole object's size", async () => {
      const { storage } = await target();
      const key = `${prefixFor(name)}range.bin`;
      const bytes = bytesOfEveryValue();
      await storage.put(key, bytes);
      const part = await storage.get(key, { range: { offset: 100, length: 50 } });
      expect(new Uint8Array((await part?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(
        bytes.subarray(100, 150),
      );
      expect(part?.size).toBe(1024);
      const tail = await storage.get(key, { range: { offset: 1000, length: 24 } });
      expect(new Uint8Array((await tail?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes.subarray(1000));
    });

    it("lists by prefix in key order, a page at a time", async () => {
      const { storage } = await target();
      const prefix = prefixFor(name);
      const inside = ["a/1", "a/2", "a/3", "a/4", "a/5/deep"].map((k) => `${prefix}${k}`);
      const outside = [`${prefix}ab`, `${prefix}b/1`];
      await Promise.all([...inside, ...outside].map((key) => storage.put(key, encoder.encode(key))));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await storage.list({ prefix: `${prefix}a/`, limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.objects.length).toBeLessThanOrEqual(2);
        seen.push(...page.objects.map((o) => o.key));
        for (const object of page.objects) expect(object.size).toBe(encoder.encode(object.key).byteLength);
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(inside);
      expect(pages).toBe(3);
      expect((await storage.list({ prefix: `${prefix}nothing/` })).objects).toEqual([]);
    });

    it("deletes many keys at once, missing ones included", async () => {
      const { storage } = await target();
      const prefix = prefixFor(name);
      const keys = Array.from({ length: 30 }, (_, i) => `${prefix}doomed/${String(i).padStart(2, "0")}`);
      await Promise.all(keys.map((key) => storage.put(key, "x")));
      await storage.put(`${prefix}kept`, "y");
      await storage.delete([...keys, `${prefix}never-existed`]);
      expect((await storage.list({ prefix: `${prefix}doomed/` })).objects).toEqual([]);
      expect(await storage.head(keys[0] ?? "")).toBeNull();
      expect(await (await storage.get(`${prefix}kept`))?.text()).toBe("y");
      await storage.delete([]);
    });

    it("leaves no object behind when the body breaks mid-upload", async () => {
      const { storage } = await target();
      const key = `${prefixFor(name)}broken.bin`;
      await expectStorageError(
        storage.put(key, failingStream(256 * 1024, 64 * 1024), { length: 256 * 1024 }),
      );
      expect(await storage.head(key)).toBeNull();
    });

    it("reports a server error mid-upload as unavailable, with no partial object", async () => {
      const { storage, failNextUpload } = await target();
      if (!failNextUpload) return; // R2 in workerd has no server of ours to break; the test above covers it.
      const key = `${prefixFor(name)}server-error.bin`;
      await storage.put(key, "the old version");
      await failNextUpload();
      await expectStorageError(storage.put(key, new Uint8Array(200 * 1024).fill(1)), "unavailable");
      expect(await (await storage.get(key))?.text()).toBe("the old version");
      await storage.put(key, "after the failure");
      expect(await (await storage.get(key))?.text()).toBe("after the failure");
    });

    it("refuses wrong credentials on every operation", async () => {
      const { storage, wrongCredentials } = await target();
      if (!wrongCredentials) return; // The R2 binding has no credentials to get wrong.
      const key = `${prefixFor(name)}secret.txt`;
      await storage.put(key, "mine");
      await expectStorageError(wrongCredentials.get(key), "unauthorized");
      await expectStorageError(wrongCredentials.head(key), "unauthorized");
      await expectStorageError(wrongCredentials.put(key, "theirs"), "unauthorized");
      await expectStorageError(wrongCredentials.list({ prefix: key }), "unauthorized");
      await expectStorageError(wrongCredentials.delete([key]), "unauthorized");
      expect(await (await storage.get(key))?.text()).toBe("mine");
    });
  });
}
