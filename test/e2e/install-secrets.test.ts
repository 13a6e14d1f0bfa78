// Secrets per install (issue 13, C1): the local platform signs and encrypts with secrets made once per data
// folder and kept there unreadable by anyone else, never with wrangler.toml's public development values; a
// data folder from before keeps working, its secrets re-encrypted under the new key.
import { createHmac } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_VALUES } from "../../scripts/deploy-check.ts";
import { apiSealing } from "../../scripts/reencrypt.ts";
import { SECRET_FILES } from "../../scripts/secrets.ts";
import {
  ADMIN_PASSWORD,
  getSite,
  loginAdmin,
  runCli,
  savedToken,
  startTestPlatform,
  type TestPlatform,
  writeSite,
} from "../support/platform.ts";

let a: TestPlatform;
let b: TestPlatform;

beforeAll(async () => {
  [a, b] = await Promise.all([startTestPlatform(), startTestPlatform()]);
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;
const secretsDir = (t: TestPlatform) => path.join(t.dataDir, "secrets");

/** The secrets in a data folder, by file name. */
async function secretsOf(t: TestPlatform): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of Object.values(SECRET_FILES)) {
    out[name] = (await fs.readFile(path.join(secretsDir(t), name), "utf8")).trim();
  }
  return out;
}

const base64url = (bytes: Buffer) => bytes.toString("base64url");

/** The same JWT signed again (HS256) with `secret`, as someone holding that secret would forge it. */
function resign(jwt: string, secret: string): string {
  const [header, payload] = jwt.split(".");
  const signed = `${header}.${payload}`;
  return `${signed}.${base64url(createHmac("sha256", secret).update(signed).digest())}`;
}

/** A console session for the administrator: the JWT of its cookie. */
async function consoleSession(t: TestPlatform): Promise<string> {
  const res = await fetch(`${t.platform.apiUrl}/api/v1/auth/session`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: t.platform.apiUrl },
    body: JSON.stringify({ email: "admin@localhost", password: ADMIN_PASSWORD }),
  });
  expect(res.status).toBe(201);
  const match = /miaobu_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "");
  if (!match?.[1]) throw new Error("no session cookie");
  return match[1];
}

async function meStatus(t: TestPlatform, jwt: string): Promise<number> {
  const res = await fetch(`${t.platform.apiUrl}/api/v1/me`, { headers: { cookie: `miaobu_session=${jwt}` } });
  await res.body?.cancel();
  return res.status;
}

/** A preview-login cookie as the router signs it (workers/router/src/preview-auth.ts), with `secret`. */
function previewCookie(secret: string, host: string, passwordHash: string): string {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const mac = createHmac("sha256", secret).update(`${host}\n${expires}\n${passwordHash}`).digest();
  return `__miaobu_preview=${expires}.${base64url(mac)}`;
}

describe("secrets per install", () => {
  it("keeps the data folder 0700 and each secret in a 0600 file", async () => {
    expect((await mode(a.dataDir)).toString(8)).toBe("700");
    expect((await mode(secretsDir(a))).toString(8)).toBe("700");
    for (const name of Object.values(SECRET_FILES)) {
      expect((await mode(path.join(secretsDir(a), name))).toString(8), name).toBe("600");
    }
  });

  it("keeps the builder's folders outside the data folder when running as root", async () => {
    const dir = a.platform.builderDir;
    if (process.getuid?.() !== 0) return;
    expect(path.relative(a.dataDir, dir).startsWith("..")).toBe(true);
    const stat = await fs.lstat(dir);
    expect(stat.isDirectory()).toBe(true);
    expect(stat.uid).toBe(0);
    expect((stat.mode & 0o777).toString(8)).toBe("711");
  });

  it("gives two data folders different secrets, none of them wrangler.toml's", async () => {
    const [first, second] = [await secretsOf(a), await secretsOf(b)];
    const dev = Object.values(DEV_VALUES);
    for (const name of Object.values(SECRET_FILES)) {
      expect(first[name], name).not.toBe(second[name]);
      expect(dev).not.toContain(first[name]);
    }
    expect(Buffer.from(first[SECRET_FILES.encryptionKey] ?? "", "base64")).toHaveLength(32);
  });

  it("refuses a console session forged with the development session secret", async () => {
    const jwt = await consoleSession(a);
    expect(await meStatus(a, jwt)).toBe(200);
    expect(await meStatus(a, resign(jwt, DEV_VALUES.MIAOBU_SESSION_SECRET ?? ""))).toBe(401);
    // The forgery itself is right: signed with this install's secret it passes.
    const secret = (await secretsOf(a))[SECRET_FILES.sessionSecret] ?? "";
    expect(await meStatus(a, resign(jwt, secret))).toBe(200);
  });

  it("refuses a preview cookie forged with the development preview secret", async () => {
    await loginAdmin(a);
    expect((await runCli(a, ["projects", "create", "guarded"])).code).toBe(0);
    const site = await writeSite(path.join(a.dataDir, "guarded-site"), {
      "index.html": "<p>secret page</p>",
    });
    const deploy = await runCli(a, ["deploy", site, "--project", "guarded", "--branch", "feature", "--json"]);
    expect(deploy.code, deploy.stderr).toBe(0);
    const update = await runCli(a, ["projects", "update", "guarded", "--preview-password-stdin"], {
      input: "preview-password-1\n",
    });
    expect(update.code, update.stderr).toBe(0);
    const host = new URL(JSON.parse(deploy.stdout).url).hostname;
    const row = await (await a.platform.database())
      .prepare("SELECT preview_password_hash AS hash FROM projects WHERE slug = ?")
      .bind("guarded")
      .first<{ hash: string }>();
    const hash = row?.hash ?? "";
    await expect.poll(async () => (await getSite(a, host, "/")).status, { timeout: 5_000 }).toBe(401);
    const forged = previewCookie(DEV_VALUES.MIAOBU_PREVIEW_SECRET ?? "", host, hash);
    expect((await getSite(a, host, "/", { cookie: forged })).status).toBe(401);
    const real = previewCookie((await secretsOf(a))[SECRET_FILES.previewSecret] ?? "", host, hash);
    const opened = await getSite(a, host, "/", { cookie: real });
    expect(opened.status).toBe(200);
    expect(opened.body).toBe("<p>secret page</p>");
  });

  it("keeps its secrets and sessions across a restart", async () => {
    const before = await secretsOf(a);
    const jwt = await consoleSession(a);
    await a.restart();
    expect(await secretsOf(a)).toEqual(before);
    expect(await meStatus(a, jwt)).toBe(200);
    expect(a.logs.join("\n")).not.toMatch(/Re-encrypted/);
  });

  it("rotates the encryption key when encryption.key is renamed encryption.previous.key", async () => {
    const token = await savedToken(a);
    const put = await fetch(`${a.platform.apiUrl}/api/v1/projects/guarded/env/preview/ROTATED`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ value: "still here" }),
    });
    expect(put.status).toBe(200);
    const before = await secretsOf(a);
    await a.restart(async () => {
      await fs.rename(
        path.join(secretsDir(a), SECRET_FILES.encryptionKey),
        path.join(secretsDir(a), "encryption.previous.key"),
      );
    });
    const after = await secretsOf(a);
    expect(after[SECRET_FILES.encryptionKey]).not.toBe(before[SECRET_FILES.encryptionKey]);
    expect(after[SECRET_FILES.sessionSecret]).toBe(before[SECRET_FILES.sessionSecret]);
    const log = a.logs.join("\n");
    expect(log).toMatch(
      /Re-encrypted 1 secret values with this install's new key \(they were under secrets\/encryption\.previous\.key\)/,
    );
    expect(log).toContain("encryption.previous.key may be deleted");
    const listed = await fetch(`${a.platform.apiUrl}/api/v1/projects/guarded/env`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { variables } = (await listed.json()) as { variables: { key: string; value: string | null }[] };
    expect(variables.find((v) => v.key === "ROTATED")?.value).toBe("still here");
  });
});

describe("a data folder from before per-install secrets", () => {
  it("re-encrypts what the development key encrypted, says so, and reads it back", async () => {
    const { encryptSecret, decryptSecret } = await apiSealing();
    const devKey = Buffer.from(DEV_VALUES.MIAOBU_ENCRYPTION_KEY ?? "", "base64");
    await loginAdmin(b);
    const token = await savedToken(b);
    expect((await runCli(b, ["projects", "create", "legacy"])).code).toBe(0);
    for (const [key, value, secret] of [
      ["PLAIN", "hello", false],
      ["API_TOKEN", "s3cret", true],
    ] as const) {
      const res = await fetch(`${b.platform.apiUrl}/api/v1/projects/legacy/env/production/${key}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ value, secret }),
      });
      expect(res.status).toBe(200);
    }
    const session = await consoleSession(b);

    // Rewrite the folder as the platform left it before: values under the development key, no secrets/.
    const db = await b.platform.database();
    const ids = await db
      .prepare(
        "SELECT p.id AS project, u.id AS user FROM projects p, users u WHERE p.slug = ? AND u.email = ?",
      )
      .bind("legacy", "admin@localhost")
      .first<{ project: string; user: string }>();
    const project = ids?.project ?? "";
    const user = ids?.user ?? "";
    const now = Date.now();
    const envContext = (key: string) => `env:${project}:production:${key}`;
    await db.batch([
      db
        .prepare("UPDATE env_vars SET value_encrypted = ? WHERE project_id = ? AND key = ?")
        .bind(await encryptSecret(devKey, "hello", envContext("PLAIN")), project, "PLAIN"),
      db
        .prepare("UPDATE env_vars SET value_encrypted = ? WHERE project_id = ? AND key = ?")
        .bind(await encryptSecret(devKey, "s3cret", envContext("API_TOKEN")), project, "API_TOKEN"),
      db
        .prepare("UPDATE users SET github_token_encrypted = ? WHERE id = ?")
        .bind(await encryptSecret(devKey, "gho_legacy", `github-token:${user}`), user),
      db
        .prepare(
          "INSERT INTO domains (id, project_id, hostname, verification_token, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'verified', ?, ?)",
        )
        .bind("dom_legacy", project, "legacy.example", "token", now, now),
      db
        .prepare(
          "INSERT INTO certificates (domain_id, hostname, provider, status, certificate_pem, private_key_encrypted, created_at, updated_at) VALUES (?, ?, 'acme', 'issued', 'PEM', ?, ?, ?)",
        )
        .bind(
          "dom_legacy",
          "legacy.example",
          await encryptSecret(devKey, "KEY PEM", "tls-key:dom_legacy:legacy.example"),
          now,
          now,
        ),
    ]);
    const before = await secretsOf(b);
    await b.restart(async () => {
      await fs.rm(secretsDir(b), { recursive: true, force: true });
      await fs.chmod(b.dataDir, 0o711);
    });

    const log = b.logs.join("\n");
    expect(log).toContain("Re-encrypted 4 secret values with this install's new key");
    expect(log).toMatch(/session/i);
    expect((await mode(b.dataDir)).toString(8)).toBe("700");
    const after = await secretsOf(b);
    expect(after[SECRET_FILES.encryptionKey]).not.toBe(before[SECRET_FILES.encryptionKey]);

    // Through the API: the plain value reads back; the API token (a hash, not a signature) still works.
    const listed = await fetch(`${b.platform.apiUrl}/api/v1/projects/legacy/env`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listed.status).toBe(200);
    const { variables } = (await listed.json()) as { variables: { key: string; value: string | null }[] };
    expect(variables.find((v) => v.key === "PLAIN")?.value).toBe("hello");
    // The old session was signed with a secret this folder no longer has.
    expect(await meStatus(b, session)).toBe(401);

    // In D1: every value now opens with the new key only.
    const newKey = Buffer.from(after[SECRET_FILES.encryptionKey] ?? "", "base64");
    const db2 = await b.platform.database();
    const sealed = async (sql: string, ...args: string[]) =>
      (
        await db2
          .prepare(sql)
          .bind(...args)
          .first<{ v: string }>()
      )?.v ?? "";
    const checks: [string, string, string][] = [
      [
        await sealed(
          "SELECT value_encrypted AS v FROM env_vars WHERE key = 'API_TOKEN' AND project_id = ?",
          project,
        ),
        "s3cret",
        envContext("API_TOKEN"),
      ],
      [
        await sealed("SELECT github_token_encrypted AS v FROM users WHERE id = ?", user),
        "gho_legacy",
        `github-token:${user}`,
      ],
      [
        await sealed("SELECT private_key_encrypted AS v FROM certificates WHERE domain_id = 'dom_legacy'"),
        "KEY PEM",
        "tls-key:dom_legacy:legacy.example",
      ],
    ];
    for (const [value, plain, context] of checks) {
      expect(await decryptSecret(newKey, value, context)).toBe(plain);
      await expect(decryptSecret(devKey, value, context)).rejects.toThrow();
    }
  });
});
