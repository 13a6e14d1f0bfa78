// The builder-facing endpoints of docs/builder-protocol.md, faithfully enough to test the builder
// alone: token checks, numbered log batches, manifest → missing blobs, sha256-checked uploads, finalize.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { BuildEvent, LogLine } from "../src/index.ts";

interface ManifestFile {
  path: string;
  hash: string;
  size: number;
  variants?: { br?: { hash: string; size: number }; gzip?: { hash: string; size: number } };
}

/** What the API saw of one deployment. */
export interface DeploymentRecord {
  token: string;
  events: BuildEvent[];
  batches: Map<number, LogLine[]>;
  manifest: ManifestFile[] | null;
  needed: Map<string, number>;
  uploaded: string[];
  status: "building" | "uploading" | "ready";
  unauthorized: number;
  projectId: string;
}

const CACHE_PATH = /^\/api\/v1\/builds\/([^/]+)\/cache\/([^/]+)$/;
const CACHE_KEY = /^[a-f0-9]{64}\.tar\.(gz|zst)$/;

export class FakeApi {
  /** Blobs stored, shared by every deployment (one project in these tests). */
  readonly blobs = new Map<string, Buffer>();
  readonly deployments = new Map<string, DeploymentRecord>();
  /** Dependency cache archives by storage key (`projects/{projectId}/cache/{key}`). */
  readonly caches = new Map<string, Buffer>();
  /** `MIAOBU_MAX_CACHE_BYTES`. */
  maxCacheBytes = 500 * 1024 * 1024;
  url = "";
  #server: Server | undefined;
  #waiters: (() => void)[] = [];

  /** Registers a deployment and its callback token, as the API does before calling the builder. */
  expect(deploymentId: string, token: string, projectId = "prj_test"): DeploymentRecord {
    const record: DeploymentRecord = {
      projectId,
      token,
      events: [],
      batches: new Map(),
      manifest: null,
      needed: new Map(),
      uploaded: [],
      status: "building",
      unauthorized: 0,
    };
    this.deployments.set(deploymentId, record);
    return record;
  }

  /** The log as one text, batches in seq order. */
  logText(deploymentId: string): string {
    const record = this.deployments.get(deploymentId);
    if (!record) return "";
    return [...record.batches.entries()]
      .sort(([a], [b]) => a - b)
      .flatMap(([, lines]) => lines.map((line) => line.text))
      .join("\n");
  }

  /** Waits until the deployment is ready, failed or canceled. */
  async finished(deploymentId: string, timeoutMs = 120_000): Promise<DeploymentRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = this.deployments.get(deploymentId);
      const final = record?.events.some((e) => e.status === "failed" || e.status === "canceled");
      if (record && (record.status === "ready" || final)) return record;
      if (Date.now() > deadline)
        throw new Error(`${deploymentId} did not finish:\n${this.logText(deploymentId)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      void this.#handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const cache = CACHE_PATH.exec(url.pathname);
    if (cache) return this.#cache(request, response, cache[1] ?? "", cache[2] ?? "");
    const body = await readBody(request);
    const match =
      /^\/api\/v1\/(builds|deployments)\/([^/]+)\/(events|logs|manifest|blobs|finalize)(?:\/([0-9a-f]{64}))?$/.exec(
        url.pathname,
      );
    const record = match?.[2] ? this.deployments.get(match[2]) : undefined;
    if (!match || !record) return json(response, 404, { code: "not_found" });
    if (request.headers.authorization !== `Bearer ${record.token}` || record.status === "ready") {
      record.unauthorized++;
      return json(response, 401, { code: "unauthorized" });
    }
    const [, kind, , action, hash] = match;
    try {
      if (kind === "builds" && action === "events") record.events.push(JSON.parse(body.toString()));
      else if (kind === "builds" && action === "logs") {
        const batch = JSON.parse(body.toString()) as { seq: number; lines: LogLine[] };
        if (!record.batches.has(batch.seq)) record.batches.set(batch.seq, batch.lines);
      } else if (kind === "builds" && action === "manifest") {
        const { files } = JSON.parse(body.toString()) as { files: ManifestFile[] };
        record.manifest = files;
        record.status = "uploading";
        for (const file of files) {
          record.needed.set(file.hash, file.size);
          for (const variant of [file.variants?.br, file.variants?.gzip]) {
            if (variant) record.needed.set(variant.hash, variant.size);
          }
        }
        const missing = [...record.needed.keys()].filter((h) => !this.blobs.has(h));
        return json(response, 200, {
          missing,
          limits: { maxBatchFiles: 3, maxBatchBytes: 50 * 1024 * 1024 },
        });
      } else if (kind === "deployments" && action === "blobs" && hash && request.method === "PUT") {
        this.#store(record, hash, body);
      } else if (kind === "deployments" && action === "blobs") {
        const form = await new Request(this.url, {
          method: "POST",
          headers: { "content-type": request.headers["content-type"] ?? "" },
          body: new Uint8Array(body),
        }).formData();
        for (const [name, value] of form.entries()) {
          if (typeof value === "string") throw new Error("a part is not a file");
          this.#store(record, name, Buffer.from(await value.arrayBuffer()));
        }
      } else if (kind === "deployments" && action === "finalize") {
        const missing = [...record.needed.keys()].filter((h) => !this.blobs.has(h));
        if (missing.length > 0)
          return json(response, 422, { code: "missing_blobs", missing: missing.map((h) => ({ hash: h })) });
        record.status = "ready";
        return json(response, 200, { deployment: { status: "ready", rulesReport: [] } });
      } else return json(response, 404, { code: "not_found" });
    } catch (error) {
      return json(response, 422, { code: "invalid_input", detail: String(error) });
    } finally {
      for (const waiter of this.#waiters.splice(0)) waiter();
    }
    return json(response, 201, {});
  }

  /** `GET`/`PUT /api/v1/builds/{id}/cache/{key}` as workers/api/src/routes/build-cache.ts answers them. */
  async #cache(request: IncomingMessage, response: ServerResponse, id: string, key: string): Promise<void> {
    const record = this.deployments.get(id);
    const final = record?.events.some((e) => e.status === "failed" || e.status === "canceled");
    // As the API: the cache (only) still opens for a while after the deployment is ready.
    if (!record || request.headers.authorization !== `Bearer ${record.token}` || final) {
      if (record) record.unauthorized++;
      request.resume();
      return json(response, 401, { code: "unauthorized" });
    }
    if (!CACHE_KEY.test(key)) {
      request.resume();
      return json(response, 422, { code: "invalid_input" });
    }
    const storageKey = `projects/${record.projectId}/cache/${key}`;
    if (request.method === "GET") {
      const stored = this.caches.get(storageKey);
      if (!stored) return json(response, 404, { code: "not_found" });
      response.writeHead(200, { "content-type": "application/gzip", "content-length": stored.length });
      response.end(stored);
      return;
    }
    if (request.method !== "PUT") return json(response, 404, { code: "not_found" });
    const declared = request.headers["content-length"];
    if (declared === undefined) {
      request.resume();
      return json(response, 411, { code: "length_required" });
    }
    if (Number(declared) > this.maxCacheBytes) {
      request.resume();
      return json(response, 413, { code: "payload_too_large" });
    }
    const body = await readBody(request);
    if (body.length !== Number(declared)) return json(response, 400, { code: "bad_request" });
    this.caches.set(storageKey, body);
    return json(response, 201, { key, size: body.length });
  }

  #store(record: DeploymentRecord, hash: string, bytes: Buffer): void {
    if (createHash("sha256").update(bytes).digest("hex") !== hash) throw new Error(`hash_mismatch ${hash}`);
    if (record.needed.get(hash) !== bytes.length)
      throw new Error(`${hash} is not in the manifest with this size`);
    this.blobs.set(hash, bytes);
    record.uploaded.push(hash);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
