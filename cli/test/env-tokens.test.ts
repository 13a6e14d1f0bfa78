import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli";

const TOKEN = "mb_test";

// A stand-in for the env and tokens routes of docs/api.md, keeping state in memory.
class FakeEnvApi {
  url = "";
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  readonly vars = new Map<string, { value: string; secret: boolean }>();
  readonly tokens = new Map<string, { name: string; scopes: string[] }>();
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = "";
    for await (const chunk of req) text += String(chunk);
    const body: unknown = text ? JSON.parse(text) : undefined;
    const method = req.method ?? "";
    const url = new URL(req.url ?? "/", "http://x");
    this.requests.push({ method, path: url.pathname, body });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, {
        "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
      });
      res.end(JSON.stringify(value));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return json(401, { status: 401, code: "unauthorized" });
    const notFound = () => json(404, { status: 404, code: "not_found", detail: "No such thing." });
    const env = /^\/api\/v1\/projects\/([^/]+)\/env(?:\/(production|preview)\/([^/]+))?$/.exec(url.pathname);
    const project = /^\/api\/v1\/projects\/([^/]+)$/.exec(url.pathname);
    if (project) return project[1] === "site" ? json(200, { project: { name: "site" } }) : notFound();
    if (env) {
      if (env[1] !== "site") return notFound();
      const id = `${env[2]}/${env[3]}`;
      if (method === "GET") {
        const variables = [...this.vars].map(([k, v]) => {
          const [environment, key] = k.split("/");
          return {
            key,
            environment,
            secret: v.secret,
            value: v.secret ? null : v.value,
            updatedAt: "2026-01-01T00:00:00.000Z",
          };
        });
        return json(200, { variables });
      }
      if (method === "PUT") {
        const { value, secret } = body as { value: string; secret: boolean };
        this.vars.set(id, { value, secret });
        return json(200, {
          variable: {
            key: env[3],
            environment: env[2],
            secret,
            value: secret ? null : value,
            updatedAt: "x",
          },
        });
      }
      if (method === "DELETE") {
        if (!this.vars.delete(id)) return notFound();
        res.writeHead(204).end();
        return;
      }
    }
    if (url.pathname === "/api/v1/tokens" && method === "GET") {
      const tokens = [...this.tokens].map(([id, t]) => ({
        id,
        ...t,
        expiresAt: "2026-02-01T00:00:00.000Z",
        lastUsedAt: null,
        createdAt: "2026-01-01T00:00:00.000Z",
        current: false,
      }));
      return json(200, { tokens });
    }
    if (url.pathname === "/api/v1/tokens" && method === "POST") {
      const { name, scopes } = body as { name: string; scopes: string[] };
      const id = `tok_${this.tokens.size + 1}`;
      this.tokens.set(id, { name, scopes });
      return json(201, {
        token: "mb_secret_once",
        id,
        name,
        scopes,
        expiresAt: "2026-02-01T00:00:00.000Z",
        lastUsedAt: null,
        createdAt: "2026-01-01T00:00:00.000Z",
        current: false,
      });
    }
    const revoke = /^\/api\/v1\/tokens\/([^/]+)$/.exec(url.pathname);
    if (revoke && method === "DELETE") {
      if (!this.tokens.delete(revoke[1] ?? "")) return notFound();
      res.writeHead(204).end();
      return;
    }
    return notFound();
  }
}

let api: FakeEnvApi;
let home: string;

beforeEach(async () => {
  api = new FakeEnvApi();
  await api.start();
  home = await mkdtemp(path.join(tmpdir(), "miaobu-cli-env-"));
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

describe("miaobu env", () => {
  it("sets in both environments, reads a secret from stdin, lists masked, unsets", async () => {
    const set = await runCli(["env", "set", "site", "PUBLIC_API", "https://x"], { env: env() });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("Set PUBLIC_API for production and preview");
    const secret = await runCli(["env", "set", "site", "TOKEN", "--secret", "-e", "production"], {
      env: env(),
      input: "s3cr3t\n",
    });
    expect(secret.code).toBe(0);
    expect(api.vars.get("production/TOKEN")).toEqual({ value: "s3cr3t", secret: true });
    expect(api.vars.has("preview/TOKEN")).toBe(false);

    const list = await runCli(["env", "list", "site"], { env: env() });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("https://x");
    expect(list.stdout).toContain("•••••• (secret)");
    expect(list.stdout).not.toContain("s3cr3t");
    const json = await runCli(["env", "list", "site", "-e", "preview", "--json"], { env: env() });
    expect(JSON.parse(json.stdout).variables).toEqual([
      {
        key: "PUBLIC_API",
        environment: "preview",
        secret: false,
        value: "https://x",
        updatedAt: "2026-01-01T00:00:00.000Z",
      },
    ]);

    const unset = await runCli(["env", "unset", "site", "TOKEN"], { env: env() });
    expect(unset.code).toBe(0);
    expect(unset.stdout).toContain("Removed TOKEN from production.");
    const again = await runCli(["env", "unset", "site", "TOKEN"], { env: env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("TOKEN is not set");
  });

  it("reports usage errors and a missing project", async () => {
    const bad = await runCli(["env", "set", "site", "A", "1", "-e", "staging"], { env: env() });
    expect(bad.code).toBe(2);
    const missing = await runCli(["env", "list", "nope"], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('project "nope" not found');
    const help = await runCli(["env", "--help"], { env: env() });
    expect(help.stdout).toContain("miaobu env <command>");
  });
});

describe("miaobu tokens", () => {
  it("creates (printed once), lists and revokes", async () => {
    const created = await runCli(
      ["tokens", "create", "ci", "--scopes", "read,deploy", "--expires-in-days", "7"],
      {
        env: env(),
      },
    );
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe("mb_secret_once");
    expect(api.requests.at(-1)?.body).toEqual({ name: "ci", scopes: ["read", "deploy"], expiresInDays: 7 });
    const list = await runCli(["tokens", "list"], { env: env() });
    expect(list.stdout).toContain("tok_1");
    expect(list.stdout).toContain("read,deploy");
    expect(list.stdout).not.toContain("mb_secret_once");
    expect((await runCli(["tokens", "revoke", "tok_1"], { env: env() })).code).toBe(0);
    const gone = await runCli(["tokens", "revoke", "tok_1"], { env: env() });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('token "tok_1" not found');
  });

  it("checks scopes and days before calling the API", async () => {
    expect((await runCli(["tokens", "create", "x", "--scopes", "root"], { env: env() })).code).toBe(2);
    expect((await runCli(["tokens", "create", "x", "--expires-in-days", "400"], { env: env() })).code).toBe(
      2,
    );
    expect(api.requests).toHaveLength(0);
  });
});
