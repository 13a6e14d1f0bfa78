// The client-address proxy against a Node server standing in for workerd: what it forwards and what it
// drops, that bodies stream both ways, WebSocket upgrades, and the answer when workerd is down.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClientAddressProxy,
  peerAddress,
  startClientAddressProxy,
} from "../../scripts/client-address-proxy.ts";
import { freePort } from "../support/platform.ts";

let upstream: http.Server;
let proxy: ClientAddressProxy;
let proxyPort: number;
/** The headers of the last request (or upgrade) the stand-in received. */
let seen: http.IncomingHttpHeaders = {};
/** Resolved when the stand-in has read the first chunk of a request body. */
let firstChunk: (() => void) | undefined;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen = req.headers;
    if (req.url === "/stream") {
      // The first half goes out at once; the rest only when the client has acknowledged it.
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("first ");
      req.once("data", () => res.end("last"));
      req.resume();
      return;
    }
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      firstChunk?.();
    });
    req.on("end", () => {
      res.setHeader("Set-Cookie", ["a=1", "b=2"]);
      res.end(JSON.stringify({ bytes }));
    });
  });
  upstream.on("upgrade", (req: http.IncomingMessage, socket: Duplex) => {
    seen = req.headers;
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    socket.pipe(socket);
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  proxyPort = await freePort();
  const target = { host: "127.0.0.1", port: (upstream.address() as AddressInfo).port };
  proxy = await startClientAddressProxy({ host: "127.0.0.1", port: proxyPort, target });
});

afterAll(async () => {
  await proxy?.close();
  upstream?.closeAllConnections();
  upstream?.close();
});

/** Sends a request through the proxy from `localAddress`, returning the answer and its body. */
function send(
  options: http.RequestOptions,
  body?: (req: http.ClientRequest) => void,
): Promise<{ res: http.IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: proxyPort, ...options }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ res, text }));
    });
    req.on("error", reject);
    if (body) body(req);
    else req.end();
  });
}

describe("the client-address proxy", () => {
  it("sets CF-Connecting-IP from the socket and drops what the client claimed", async () => {
    const { res } = await send({
      localAddress: "127.0.0.2",
      path: "/x?y=1",
      headers: {
        Host: "api.example:8787",
        "CF-Connecting-IP": "203.0.113.9",
        "MF-CF-Blob": JSON.stringify({ clientIp: "203.0.113.9" }),
        "CF-Ray": "abc",
        "CF-IPCountry": "XX",
        "X-Forwarded-For": "203.0.113.9",
        "X-Real-IP": "203.0.113.9",
        Forwarded: "for=203.0.113.9",
        "True-Client-IP": "203.0.113.9",
        Authorization: "Bearer t",
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(seen["cf-connecting-ip"]).toBe("127.0.0.2");
    expect(seen.host).toBe("api.example:8787");
    expect(seen.authorization).toBe("Bearer t");
    for (const name of ["mf-cf-blob", "cf-ray", "cf-ipcountry", "x-forwarded-for", "x-real-ip"]) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(seen.forwarded).toBeUndefined();
    expect(seen["true-client-ip"]).toBeUndefined();
  });

  it("writes an IPv4-mapped IPv6 peer as plain IPv4", () => {
    expect(peerAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(peerAddress("::1")).toBe("::1");
    expect(peerAddress("2001:db8::ffff:1")).toBe("2001:db8::ffff:1");
    expect(peerAddress(undefined)).toBeNull();
  });

  it("streams a request body on before the client has sent all of it", async () => {
    const reached = new Promise<void>((resolve) => {
      firstChunk = resolve;
    });
    const answer = send({ method: "PUT", path: "/upload" }, (req) => {
      req.write(Buffer.alloc(64 * 1024, 1));
      // The rest goes only once workerd's side has the first chunk: a buffering proxy would hang here.
      void reached.then(() => req.end(Buffer.alloc(4 * 1024 * 1024, 2)));
    });
    const { text } = await answer;
    firstChunk = undefined;
    expect(JSON.parse(text)).toEqual({ bytes: 64 * 1024 + 4 * 1024 * 1024 });
  });

  it("streams a response before workerd has finished it", async () => {
    const { text } = await send({ method: "POST", path: "/stream" }, (req) => {
      req.flushHeaders();
      req.on("response", (res) => res.once("data", () => req.end("ack")));
    });
    expect(text).toBe("first last");
  });

  it("hands a WebSocket upgrade to workerd with the rewritten headers, then pipes bytes", async () => {
    const req = http.request({
      host: "127.0.0.1",
      port: proxyPort,
      path: "/logs/ws",
      headers: { Connection: "Upgrade", Upgrade: "websocket", "CF-Connecting-IP": "203.0.113.9" },
    });
    req.end();
    const [res, socket] = (await once(req, "upgrade")) as [http.IncomingMessage, Duplex];
    expect(res.statusCode).toBe(101);
    expect(seen["cf-connecting-ip"]).toBe("127.0.0.1");
    expect(seen.upgrade).toBe("websocket");
    socket.write("ping");
    const [echo] = (await once(socket, "data")) as [Buffer];
    expect(echo.toString()).toBe("ping");
    socket.destroy();
  });

  it("survives clients that go away mid-upload and mid-upgrade", async () => {
    const upload = http.request({ host: "127.0.0.1", port: proxyPort, method: "PUT", path: "/upload" });
    upload.on("error", () => {});
    upload.write(Buffer.alloc(64 * 1024));
    await new Promise((r) => setTimeout(r, 50));
    upload.destroy();
    const upgrade = http.request({
      host: "127.0.0.1",
      port: proxyPort,
      headers: { Connection: "Upgrade", Upgrade: "websocket" },
    });
    upgrade.on("error", () => {});
    upgrade.end();
    upgrade.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const { res } = await send({ path: "/after" });
    expect(res.statusCode).toBe(200);
  });

  it("answers 502 problem+json when workerd cannot be reached", async () => {
    const port = await freePort();
    const down = await startClientAddressProxy({
      host: "127.0.0.1",
      port,
      target: { host: "127.0.0.1", port: 1 },
    });
    try {
      const { res, text } = await send({ port, path: "/api/v1/me" });
      expect(res.statusCode).toBe(502);
      expect(res.headers["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(text)).toMatchObject({ status: 502, code: "bad_gateway" });
    } finally {
      await down.close();
    }
  });

  it("refuses a port that is taken with Node's EADDRINUSE", async () => {
    const target = { host: "127.0.0.1", port: 1 };
    await expect(startClientAddressProxy({ host: "127.0.0.1", port: proxyPort, target })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
