// The local platform's door to the API. workerd's direct sockets tell a Worker nothing about its peer and pass
// a client's `CF-Connecting-IP` (and `MF-CF-Blob`, which fills `request.cf`) straight through, so on its own
// the API cannot tell two clients apart. This proxy plays Cloudflare's part: it takes the address from the
// socket, sets `CF-Connecting-IP` to it and drops whatever the client claimed. The API trusts the header
// (`MIAOBU_TRUST_CF_CONNECTING_IP=true`): workerd's socket listens on 127.0.0.1, out of other machines' reach.
import http from "node:http";
import net from "node:net";
import { type Duplex, pipeline } from "node:stream";

/** Where the proxy listens and the workerd socket it forwards to. */
export interface ClientAddressProxyOptions {
  host: string;
  port: number;
  target: { host: string; port: number };
}

export interface ClientAddressProxy {
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection; Node frames each side's body itself.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Headers through which a client could claim an address or a `request.cf` of its choosing. */
function isClaim(name: string): boolean {
  return (
    name.startsWith("cf-") ||
    name.startsWith("mf-") ||
    name.startsWith("x-forwarded-") ||
    name === "forwarded" ||
    name === "x-real-ip" ||
    name === "true-client-ip"
  );
}

/** The socket's peer as Cloudflare would write it: an IPv4 client without its IPv4-mapped IPv6 prefix. */
export function peerAddress(remote: string | undefined): string | null {
  if (!remote) return null;
  const mapped = /^::ffff:(.+)$/i.exec(remote)?.[1];
  return mapped && net.isIPv4(mapped) ? mapped : remote;
}

/** The request's headers as workerd should see them; an upgrade keeps its `Connection` and `Upgrade`. */
function forwardedHeaders(
  req: http.IncomingMessage,
  address: string,
  upgrade: boolean,
): http.OutgoingHttpHeaders {
  // `Connection` may name further headers that were meant for this hop only.
  const named = new Set((req.headers.connection ?? "").toLowerCase().split(/\s*,\s*/));
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || isClaim(name)) continue;
    const kept = upgrade && (name === "connection" || name === "upgrade");
    if (!kept && (HOP_BY_HOP.has(name) || named.has(name))) continue;
    headers[name] = value;
  }
  headers["cf-connecting-ip"] = address;
  return headers;
}

const UNREACHABLE = JSON.stringify({
  type: "https://miaobu.dev/problems/bad_gateway",
  title: "A service behind the API failed",
  status: 502,
  code: "bad_gateway",
  detail: "The API Worker (workerd) cannot be reached.",
});

function badGateway(res: http.ServerResponse): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(502, { "Content-Type": "application/problem+json", "Cache-Control": "no-store" });
  res.end(UNREACHABLE);
}

/** Response headers without hop-by-hop ones, as Node's flat raw list (repeated `Set-Cookie` intact). */
function responseHeaders(raw: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? "";
    if (!HOP_BY_HOP.has(name.toLowerCase())) kept.push(name, raw[i + 1] ?? "");
  }
  return kept;
}

/** Starts the proxy; rejects with Node's listen error (`EADDRINUSE`) when the port is taken. */
export function startClientAddressProxy(options: ClientAddressProxyOptions): Promise<ClientAddressProxy> {
  const { target } = options;
  const agent = new http.Agent({ keepAlive: true });
  // Node's default cuts any request off after 5 min; a large upload over a slow link must not be.
  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    const address = peerAddress(req.socket.remoteAddress);
    if (address === null) return void res.destroy();
    const upstream = http.request({
      host: target.host,
      port: target.port,
      agent,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req, address, false),
      // Host is the client's (the API builds its URLs from it), never one Node makes up.
      setHost: false,
    });
    upstream.on("response", (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer.rawHeaders));
      // Streamed both ways: a client that goes away destroys the upstream answer, and vice versa.
      pipeline(answer, res, () => {});
    });
    upstream.on("error", () => badGateway(res));
    // workerd sees the request when the client's head arrives, not only with the first byte of its body.
    upstream.flushHeaders();
    pipeline(req, upstream, () => {});
  });

  // A WebSocket (the build log's live stream): after the head, the bytes are the two ends' business.
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    const address = peerAddress(req.socket.remoteAddress);
    if (address === null) return void client.destroy();
    upgraded.add(client);
    client.on("close", () => upgraded.delete(client));
    const upstream = net.connect(target.port, target.host);
    // Node's HTTP server stops watching the socket once it is upgraded: an early reset must not go unheard.
    client.on("error", () => upstream.destroy());
    let connected = false;
    upstream.on("connect", () => {
      connected = true;
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [name, value] of Object.entries(forwardedHeaders(req, address, true))) {
        for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(one)}`);
      }
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      pipeline(client, upstream, client, () => {});
    });
    upstream.on("error", () => {
      if (connected) return; // pipeline() has destroyed both ends.
      const length = Buffer.byteLength(UNREACHABLE);
      const type = "Content-Type: application/problem+json";
      client.end(
        `HTTP/1.1 502 Bad Gateway\r\n${type}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${UNREACHABLE}`,
      );
    });
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            agent.destroy();
            server.close(() => done());
            // Keep-alive and WebSocket connections would hold close() open until they end on their own.
            server.closeAllConnections();
            for (const socket of upgraded) socket.destroy();
          }),
      });
    });
  });
}
