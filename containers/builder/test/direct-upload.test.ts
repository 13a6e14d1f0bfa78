// The builder writing blobs straight to the platform's bucket (S3 or OSS) and registering them with the
// API: a blob the API does not find is written again, and a bucket the API never sees fails the upload
// with a message naming the likely cause.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Storage } from "@miaobu/storage/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallbackClient } from "../src/callback.ts";
import type { BlobSource, OutputFile } from "../src/output.ts";
import { uploadDeployment } from "../src/upload.ts";

let dir: string;
let files: { output: OutputFile; blob: BlobSource; bytes: Buffer }[];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-direct-"));
  files = await Promise.all(
    ["index.html", "app.js", "logo.svg"].map(async (name) => {
      const bytes = Buffer.from(`contents of ${name}`);
      const hash = createHash("sha256").update(bytes).digest("hex");
      const file = path.join(dir, name);
      await fs.writeFile(file, bytes);
      const output: OutputFile = { path: name, hash, size: bytes.length, absolute: file };
      return { output, blob: { hash, size: bytes.length, file }, bytes };
    }),
  );
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A bucket in memory: what the builder writes, by key. */
function memoryBucket(): Storage & { objects: Map<string, Uint8Array>; puts: string[] } {
  const objects = new Map<string, Uint8Array>();
  const puts: string[] = [];
  const unused = () => Promise.reject(new Error("not used by uploads"));
  return {
    kind: "s3",
    objects,
    puts,
    put: async (key, body) => {
      puts.push(key);
      objects.set(key, body instanceof Uint8Array ? body : new TextEncoder().encode(String(body)));
    },
    get: unused,
    head: unused,
    list: unused,
    delete: unused,
  };
}

/** The API's side: every blob missing, direct uploads on, registration checked against the bucket. */
function fakeApi(bucket: ReturnType<typeof memoryBucket>, onRegister: (hashes: string[]) => void) {
  const calls: string[] = [];
  const client = {
    send: async (method: string, url: string, options: { json?: { hashes?: string[] } } = {}) => {
      calls.push(`${method} ${url}`);
      if (url.endsWith("/manifest")) return { missing: files.map((f) => f.blob.hash), directUpload: true };
      if (url.endsWith("/blobs")) {
        const hashes = options.json?.hashes ?? [];
        onRegister(hashes);
        const stored = (hash: string) => bucket.objects.has(`projects/prj_direct/blobs/${hash}`);
        return { recorded: hashes.filter(stored), missing: hashes.filter((h) => !stored(h)) };
      }
      if (url.endsWith("/finalize")) return { deployment: { status: "ready" } };
      throw new Error(`unexpected ${method} ${url}`);
    },
  };
  return { client: client as unknown as CallbackClient, calls };
}

function upload(client: CallbackClient, bucket: Storage, log: string[]) {
  return uploadDeployment({
    client,
    deploymentId: "dpl_direct",
    manifest: files.map((f) => f.output),
    blobs: new Map(files.map((f) => [f.blob.hash, f.blob])),
    log: (text) => log.push(text),
    direct: { storage: bucket, projectId: "prj_direct" },
  });
}

describe("direct uploads to the bucket", () => {
  it("writes every blob under the project, registers them and finalizes, never sending bodies to the API", async () => {
    const bucket = memoryBucket();
    const { client, calls } = fakeApi(bucket, () => {});
    const log: string[] = [];
    const summary = await upload(client, bucket, log);
    expect(summary).toMatchObject({ blobs: 3, missing: 3 });
    for (const f of files) {
      const stored = bucket.objects.get(`projects/prj_direct/blobs/${f.blob.hash}`);
      expect(Buffer.from(stored ?? new Uint8Array()).equals(f.bytes)).toBe(true);
    }
    expect(calls).toEqual([
      "POST /api/v1/builds/dpl_direct/manifest",
      "POST /api/v1/builds/dpl_direct/blobs",
      "POST /api/v1/deployments/dpl_direct/finalize",
    ]);
    expect(log).toContain("uploading straight to the s3 bucket");
  });

  it("writes again a blob the API does not find (a sweep removed it as it was written)", async () => {
    const bucket = memoryBucket();
    let first = true;
    const lost = files[1]?.blob.hash ?? "";
    const { client } = fakeApi(bucket, () => {
      if (!first) return;
      first = false;
      bucket.objects.delete(`projects/prj_direct/blobs/${lost}`);
    });
    const log: string[] = [];
    await upload(client, bucket, log);
    expect(bucket.puts.filter((key) => key.endsWith(lost))).toHaveLength(2);
    expect(bucket.objects.has(`projects/prj_direct/blobs/${lost}`)).toBe(true);
    expect(log).toContain("1 blobs were not found after writing them: writing them again");
  });

  it("fails naming the likely cause when the API never finds what was written", async () => {
    const bucket = memoryBucket();
    const { client } = fakeApi(bucket, () => bucket.objects.clear());
    await expect(upload(client, bucket, [])).rejects.toThrow(/same bucket/);
    // Three rounds of writes, then the error; never a finalize on missing files.
    expect(bucket.puts).toHaveLength(9);
  });
});
