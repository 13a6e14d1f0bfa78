// The Worker bench/storage.ts drives: it runs one storage operation many times inside workerd, through the same
// `Storage` implementations the API and router use, so every backend is measured from the same place.
import { createStorage, type RemoteStorageConfig, type Storage } from "../src/index.ts";

interface BenchEnv {
  BUCKET: R2Bucket;
  S3: string;
  OSS: string;
}

function storageFor(env: BenchEnv, backend: string): Storage {
  if (backend === "r2") return createStorage({ kind: "r2" }, env.BUCKET);
  const config = JSON.parse(backend === "s3" ? env.S3 : env.OSS) as RemoteStorageConfig;
  return createStorage(config, undefined);
}

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const url = new URL(request.url);
    const backend = url.searchParams.get("backend") ?? "r2";
    const op = url.searchParams.get("op") ?? "put";
    const files = Number(url.searchParams.get("files") ?? "100");
    const size = Number(url.searchParams.get("size") ?? "16384");
    const concurrency = Number(url.searchParams.get("concurrency") ?? "16");
    const prefix = url.searchParams.get("prefix") ?? "bench/";
    const storage = storageFor(env, backend);
    const body = new Uint8Array(size).map((_, i) => (i * 31) % 251);
    let bytes = 0;
    await inParallel(files, concurrency, async (i) => {
      const key = `${prefix}${String(i).padStart(6, "0")}`;
      if (op === "put") {
        await storage.put(key, body, { contentType: "application/octet-stream" });
        bytes += size;
      } else {
        const object = await storage.get(key);
        if (!object) throw new Error(`${key} is missing`);
        bytes += (await object.arrayBuffer()).byteLength;
      }
    });
    return Response.json({ files, bytes });
  },
};
