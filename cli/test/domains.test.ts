import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli";

const TOKEN = "mb_test";

// A stand-in for the domain routes of docs/api.md: a domain verifies once the test says its DNS is right.
class FakeDomainsApi {
  url = "";
  readonly domains = new Map<string, { verified: boolean }>();
  dnsReady = false;
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private present(hostname: string) {
    const verified = this.domains.get(hostname)?.verified ?? false;
    return {
      id: `dom_${hostname}`,
      hostname,
      apex: false,
      status: verified ? "verified" : "pending",
      detail: verified ? null : `no TXT record at _miaobu-challenge.${hostname}`,
      deploymentId: null,
      serving: verified,
      records: [
        {
          type: "TXT",
          name: `_miaobu-challenge.${hostname}`,
          value: "miaobu-verify=abc",
          purpose: "ownership",
        },
        { type: "CNAME", name: hostname, value: "cname.miaobu.test", purpose: "routing" },
      ],
      verifiedAt: null,
      checkedAt: null,
      createdAt: "2026-01-01T00:00:00.000Z",
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = "";
    for await (const chunk of req) text += String(chunk);
    const body = (text ? JSON.parse(text) : undefined) as { hostname?: string } | undefined;
    const method = req.method ?? "";
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, value: unknown) => {
      res.writeHead(status, {
        "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
      });
      res.end(JSON.stringify(value));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return json(401, { status: 401, code: "unauthorized" });
    const notFound = () => json(404, { status: 404, code: "not_found", detail: "No such thing." });
    const cert = /^\/api\/v1\/projects\/site\/domains\/([^/]+)\/certificate(\/download)?$/.exec(url.pathname);
    if (cert) {
      if (!this.domains.has(cert[1] ?? "")) return notFound();
      if (cert[2]) return json(200, { certificate: "CHAIN PEM", privateKey: "KEY PEM", expiresAt: null });
      const issued = method === "POST";
      return json(200, {
        certificate: {
          provider: "acme",
          status: issued ? "issued" : "failed",
          notBefore: null,
          expiresAt: issued ? "2026-03-01T00:00:00.000Z" : null,
          lastError: issued ? null : "the certificate authority could not fetch the challenge",
          attempts: issued ? 0 : 1,
          nextAttemptAt: null,
        },
      });
    }
    const m = /^\/api\/v1\/projects\/([^/]+)\/domains(?:\/([^/]+))?(\/verify)?$/.exec(url.pathname);
    if (m?.[1] !== "site") return notFound();
    const host = m[2];
    if (!host && method === "GET")
      return json(200, { domains: [...this.domains.keys()].map((h) => this.present(h)) });
    if (!host && method === "POST") {
      const hostname = String(body?.hostname).toLowerCase();
      if (hostname.includes("*")) {
        return json(422, {
          status: 422,
          code: "invalid_input",
          detail: "wildcard domains are not supported",
        });
      }
      this.domains.set(hostname, { verified: false });
      return json(201, { domain: this.present(hostname) });
    }
    if (!host || !this.domains.has(host)) return notFound();
    if (m[3] && method === "POST") {
      this.domains.set(host, { verified: this.dnsReady });
      return json(200, { domain: this.present(host) });
    }
    if (method === "DELETE") {
      this.domains.delete(host);
      res.writeHead(204).end();
      return;
    }
    return notFound();
  }
}

let api: FakeDomainsApi;
let home: string;

beforeEach(async () => {
  api = new FakeDomainsApi();
  await api.start();
  home = await mkdtemp(path.join(tmpdir(), "miaobu-cli-domains-"));
});

afterEach(async () => {
  await api.close();
  await rm(home, { recursive: true, force: true });
});

const env = () => ({
  HOME: home,
  MIAOBU_CONFIG_DIR: path.join(home, "config"),
  MIAOBU_API: api.url,
  MIAOBU_TOKEN: TOKEN,
});

describe("miaobu domains", () => {
  it("adds a domain with its records, verifies it (failing until the DNS is right), lists and removes", async () => {
    const add = await runCli(["domains", "add", "site", "WWW.Example.com"], { env: env() });
    expect(add.code).toBe(0);
    expect(add.stdout).toContain("_miaobu-challenge.www.example.com");
    expect(add.stdout).toContain("miaobu-verify=abc");
    expect(add.stdout).toContain("cname.miaobu.test");

    const early = await runCli(["domains", "verify", "site", "www.example.com"], { env: env() });
    expect(early.code).toBe(1);
    expect(early.stdout).toContain("www.example.com: pending (not serving)");
    expect(early.stdout).toContain("no TXT record");

    api.dnsReady = true;
    const ok = await runCli(["domains", "verify", "site", "www.example.com"], { env: env() });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("www.example.com: verified (serving)");

    const list = await runCli(["domains", "list", "site", "--json"], { env: env() });
    expect(JSON.parse(list.stdout).domains).toMatchObject([
      { hostname: "www.example.com", status: "verified" },
    ]);

    const removed = await runCli(["domains", "remove", "site", "www.example.com"], { env: env() });
    expect(removed.code).toBe(0);
    const empty = await runCli(["domains", "list", "site"], { env: env() });
    expect(empty.stdout).toContain("No domains.");
  });

  it("shows, issues and downloads a certificate", async () => {
    await runCli(["domains", "add", "site", "www.example.com"], { env: env() });
    const failed = await runCli(["domains", "certificate", "site", "www.example.com"], { env: env() });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("last error: the certificate authority could not fetch the challenge");
    const issued = await runCli(["domains", "certificate", "site", "www.example.com", "--issue"], {
      env: env(),
    });
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain("www.example.com: issued, expires");
    const dir = path.join(home, "tls");
    const download = await runCli(["domains", "certificate", "site", "www.example.com", "--download", dir], {
      env: env(),
    });
    expect(download.code).toBe(0);
    expect(await readFile(path.join(dir, "fullchain.pem"), "utf8")).toBe("CHAIN PEM");
    expect((await stat(path.join(dir, "privkey.pem"))).mode & 0o777).toBe(0o600);
  });

  it("explains a refused wildcard and an unknown project", async () => {
    const wildcard = await runCli(["domains", "add", "site", "*.example.com"], { env: env() });
    expect(wildcard.code).not.toBe(0);
    expect(wildcard.stderr).toContain("wildcard");
    const missing = await runCli(["domains", "list", "nope"], { env: env() });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("nope");
  });
});
