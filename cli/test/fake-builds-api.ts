// An in-test HTTP server speaking the build parts of docs/api.md that the CLI uses: triggers, deployments,
// cancel, deploy hooks, the log text and the log WebSocket (a minimal RFC 6455 server: text frames out,
// close frames). The real API is another component; this records what the CLI sent.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

export const TOKEN = "mb_test";

interface FakeBuild {
  id: string;
  project: string;
  branch: string;
  status: string;
  errorMessage: string | null;
  /** Batches of lines the build will have logged, in order; `final` once they are all out. */
  batches: string[][];
  final: string;
  /** How many batches are out so far (the text endpoint reveals one more per call). */
  revealed: number;
}

export class FakeBuildsApi {
  url = "";
  readonly requests: { method: string; path: string; body: unknown; auth: string }[] = [];
  /** Connections to the log socket, with the `after` each asked for. */
  readonly sockets: { after: number; auth: string }[] = [];
  /** Drop the first log connection after this many batches, without a close frame. */
  dropAfter: number | null = null;
  readonly builds = new Map<string, FakeBuild>();
  hookSecret: string | null = null;
  private server: Server | undefined;
  private readonly upgraded = new Set<Duplex>();
  private sequence = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.json(res, 500, { detail: String(error) }));
    });
    this.server.on("upgrade", (req, socket) => this.upgrade(req, socket));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const socket of this.upgraded) socket.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A build the CLI can follow. */
  addBuild(batches: string[][], final: string, status = "building"): FakeBuild {
    this.sequence += 1;
    const build: FakeBuild = {
      id: `dpl_fake${this.sequence}`,
      project: "site",
      branch: "main",
      status,
      errorMessage: final === "failed" ? "the build command exited with code 1" : null,
      batches,
      final,
      revealed: 0,
    };
    this.builds.set(build.id, build);
    return build;
  }

  private deployment(b: FakeBuild) {
    return {
      id: b.id,
      shortId: "abcdefgh",
      projectId: "prj_1",
      project: b.project,
      status: b.status,
      environment: "production",
      branch: b.branch,
      commitSha: null,
      commitMessage: null,
      source: "cli",
      fileCount: 0,
      totalBytes: 0,
      url: `http://abcdefgh--${b.project}.localhost:8788`,
      aliases: [],
      isProduction: false,
      createdAt: new Date(0).toISOString(),
      readyAt: null,
      errorMessage: b.status === "ready" ? null : b.errorMessage,
    };
  }

  private project(name: string, extra: Record<string, unknown> = {}) {
    return {
      id: "prj_1",
      name,
      productionBranch: "main",
      productionDeploymentId: null,
      productionUrl: `http://${name}.localhost:8788`,
      hasDeployHook: this.hookSecret !== null,
      createdAt: new Date(0).toISOString(),
      updatedAt: new Date(0).toISOString(),
      ...extra,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = "";
    for await (const chunk of req) text += String(chunk);
    const body: unknown = text ? JSON.parse(text) : undefined;
    const url = new URL(req.url ?? "/", this.url);
    const auth = req.headers.authorization ?? "";
    this.requests.push({ method: req.method ?? "", path: url.pathname + url.search, body, auth });
    if (auth !== `Bearer ${TOKEN}`) return this.json(res, 401, { code: "unauthorized", status: 401 });
    const parts = url.pathname.split("/").slice(3);
    const [kind, key, action] = parts;
    if (req.method === "POST" && url.pathname === "/api/v1/projects") {
      const input = body as Record<string, unknown>;
      return this.json(res, 201, { project: this.project(String(input.name), input) });
    }
    if (kind === "projects" && key !== undefined) {
      if (req.method === "GET" && action === undefined)
        return this.json(res, 200, { project: this.project(key) });
      if (req.method === "POST" && action === "builds") {
        const build = this.addBuild([], "ready", "queued");
        build.project = key;
        build.branch = String((body as { branch?: string } | undefined)?.branch ?? "main");
        return this.json(res, 202, { deployment: this.deployment(build) });
      }
      if (action === "deploy-hook" && req.method === "POST") {
        this.hookSecret = `mbh_${this.sequence++}`;
        const hook = { secret: this.hookSecret, url: `${this.url}/api/v1/hooks/deploy/${this.hookSecret}` };
        return this.json(res, 201, { hook, project: this.project(key) });
      }
      if (action === "deploy-hook" && req.method === "DELETE") {
        this.hookSecret = null;
        res.writeHead(204).end();
        return;
      }
    }
    const build = key === undefined ? undefined : this.builds.get(key);
    if (kind === "deployments" && !build) return this.json(res, 404, { code: "not_found", status: 404 });
    if (kind === "deployments" && build) {
      if (req.method === "GET" && action === undefined)
        return this.json(res, 200, { deployment: this.deployment(build) });
      if (req.method === "POST" && action === "cancel") {
        build.status = "canceled";
        return this.json(res, 200, { deployment: this.deployment(build) });
      }
      if (req.method === "GET" && action === "logs") {
        if (build.revealed < build.batches.length) build.revealed += 1;
        else build.status = build.final;
        const out = build.batches
          .slice(0, build.revealed)
          .flat()
          .map((line) => `${line}\n`)
          .join("");
        res.writeHead(200, {
          "Content-Type": "text/plain; charset=utf-8",
          "X-Deployment-Status": build.status,
        });
        res.end(out);
        return;
      }
    }
    return this.json(res, 404, { code: "not_found", status: 404, detail: `no route ${url.pathname}` });
  }

  private upgrade(req: IncomingMessage, socket: Duplex): void {
    const url = new URL(req.url ?? "/", this.url);
    const id = url.pathname.split("/")[4] ?? "";
    const build = this.builds.get(id);
    const after = Number(url.searchParams.get("after") ?? "0");
    this.sockets.push({ after, auth: req.headers.authorization ?? "" });
    if (!build || req.headers.authorization !== `Bearer ${TOKEN}`) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    const accept = createHash("sha1")
      .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.on("error", () => {});
    this.upgraded.add(socket);
    socket.on("close", () => this.upgraded.delete(socket));
    const drop = this.dropAfter;
    this.dropAfter = null;
    let sent = 0;
    for (const [index, lines] of build.batches.entries()) {
      const seq = index + 1;
      if (seq <= after) continue;
      if (drop !== null && sent >= drop) {
        socket.destroy();
        return;
      }
      socket.write(
        frame(
          0x1,
          JSON.stringify({
            type: "batch",
            seq,
            lines: lines.map((text) => ({ t: 0, stream: "stdout", text })),
          }),
        ),
      );
      sent += 1;
    }
    build.status = build.final;
    socket.write(frame(0x1, JSON.stringify({ type: "end", status: build.final })));
    socket.write(frame(0x8, ""));
    socket.end();
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
    });
    res.end(JSON.stringify(body));
  }
}

/** One unmasked server frame. */
function frame(opcode: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)]);
  return Buffer.concat([header, payload]);
}

function bigLength(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(length));
  return out;
}
