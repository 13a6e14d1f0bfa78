// Runs in Node, in vitest's own process: a stand-in for containers/builder that records what the API sent.
// Tests read the record back over HTTP (`GET /__requests`). Behaviour is chosen by the project's name:
// "busy-…" answers 503 with Retry-After, "broken-…" answers 500.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface StubRecord {
  method: string;
  path: string;
  authorization: string;
  body: unknown;
}

/** Starts the stub on a free loopback port and returns its URL. */
export async function startBuilderStub(): Promise<string> {
  const records: StubRecord[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stub");
      if (req.method === "GET" && url.pathname === "/__requests") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(records));
        return;
      }
      const body: unknown = text ? JSON.parse(text) : null;
      records.push({
        method: req.method ?? "",
        path: url.pathname,
        authorization: req.headers.authorization ?? "",
        body,
      });
      const name = JSON.stringify(body).match(/"name":"([^"]*)"/)?.[1] ?? "";
      if (req.method === "POST" && name.startsWith("busy-")) {
        res.writeHead(503, { "Retry-After": "1" });
        res.end();
      } else if (req.method === "POST" && name.startsWith("broken-")) {
        res.writeHead(500);
        res.end();
      } else {
        res.writeHead(202, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ accepted: true }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
