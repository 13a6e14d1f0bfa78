// Runs in Node, in vitest's own process: a stand-in for Cloudflare's API (a third-party SaaS) speaking its
// v4 wire format (`{ success, errors, messages, result }`) for the Cloudflare for SaaS custom hostname calls
// Miaobu makes. Tests move a hostname's SSL state (`POST /__ssl/:id`) and read what Miaobu sent
// (`GET /__requests`).
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Hostname {
  id: string;
  hostname: string;
  ssl: Record<string, unknown>;
  status: string;
  created_at: string;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text ? JSON.parse(text) : undefined;
}

/** Starts the stand-in on a free loopback port and returns its API base (`…/client/v4`). */
export async function startCloudflareStub(zoneId: string, apiToken: string): Promise<string> {
  const hostnames = new Map<string, Hostname>();
  const requests: { method: string; path: string; body: unknown }[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJson(req);
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const ok = (result: unknown) => send(200, { success: true, errors: [], messages: [], result });
    const fail = (status: number, code: number, message: string) =>
      send(status, { success: false, errors: [{ code, message }], messages: [], result: null });

    if (url.pathname === "/__requests") return send(200, requests);
    const control = /^\/__ssl\/([^/]+)$/.exec(url.pathname);
    if (control) {
      const found = hostnames.get(control[1] ?? "");
      if (!found) return send(404, {});
      found.ssl = { ...found.ssl, ...(body as Record<string, unknown>) };
      return send(200, found);
    }
    requests.push({ method: req.method ?? "", path: url.pathname, body });
    if (req.headers.authorization !== `Bearer ${apiToken}`) return fail(403, 10000, "Authentication error");
    const base = `/client/v4/zones/${zoneId}/custom_hostnames`;
    if (url.pathname === base && req.method === "POST") {
      const { hostname } = body as { hostname: string };
      if ([...hostnames.values()].some((h) => h.hostname === hostname)) {
        return fail(409, 1406, "Duplicate custom hostname found.");
      }
      const created: Hostname = {
        id: randomUUID(),
        hostname,
        ssl: {
          id: randomUUID(),
          type: "dv",
          method: "http",
          status: "pending_validation",
          settings: { min_tls_version: "1.2" },
          wildcard: false,
          certificate_authority: "google",
        },
        status: "pending",
        created_at: new Date().toISOString(),
      };
      hostnames.set(created.id, created);
      return ok(created);
    }
    const one = new RegExp(`^${base}/([^/]+)$`).exec(url.pathname);
    if (one) {
      const found = hostnames.get(one[1] ?? "");
      if (!found) return fail(404, 1436, "The custom hostname was not found.");
      if (req.method === "GET") return ok(found);
      if (req.method === "DELETE") {
        hostnames.delete(found.id);
        return ok({ id: found.id });
      }
    }
    return fail(404, 7003, "Could not route to the requested path.");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
}
