import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EMAIL, EXPIRED_TOKEN, FakeApi, PASSWORD, sha256 } from "./fake-api";
import { runCli } from "./run-cli";

let api: FakeApi;
let home: string;

beforeEach(async () => {
  api = new FakeApi();
  await api.start();
  home = await mkdtemp(path.join(tmpdir(), "miaobu-cli-"));
});

afterEach(async () => {
  await api.close();
  await rm(home, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: home, MIAOBU_CONFIG_DIR: path.join(home, "config"), MIAOBU_API: api.url, ...extra };
}

/** Env with a valid token, as after `miaobu login`. */
function authed(): Record<string, string> {
  return env({ MIAOBU_TOKEN: api.issueToken() });
}

async function site(files: Record<string, string | Buffer>): Promise<string> {
  const root = path.join(home, `site-${Math.random().toString(36).slice(2)}`);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return root;
}

describe("login, whoami, logout", () => {
  it("logs in with --password-stdin and stores the token with mode 0600", async () => {
    const result = await runCli(["login", "--email", EMAIL, "--password-stdin", "--json"], {
      env: env(),
      input: `${PASSWORD}\n`,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ api: api.url, user: { email: EMAIL } });
    expect(output.token).toBeUndefined();

    const file = path.join(home, "config", "config.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, "utf8"));
    expect(stored).toMatchObject({ api: api.url, email: EMAIL });
    expect(stored.token).toMatch(/^mb_/);
    expect(typeof stored.expiresAt).toBe("string");

    // The stored config is used without MIAOBU_API too.
    const who = await runCli(["whoami"], {
      env: { HOME: home, MIAOBU_CONFIG_DIR: path.join(home, "config") },
    });
    expect(who.code).toBe(0);
    expect(who.stdout).toContain(`${EMAIL} (Admin) on ${api.url}`);

    const out = await runCli(["logout"], { env: env() });
    expect(out.code).toBe(0);
    expect(api.isRevoked(stored.token)).toBe(true);
    expect(JSON.parse(await readFile(file, "utf8")).token).toBeUndefined();

    const after = await runCli(["whoami"], { env: env() });
    expect(after.code).toBe(1);
    expect(after.stderr).toBe("error: not logged in: run `miaobu login`\n");
  });

  it("forgets the token even when the API cannot revoke it", async () => {
    const dir = path.join(home, "config");
    await mkdir(dir, { recursive: true });
    const stored = {
      api: "http://127.0.0.1:9",
      token: "mb_x",
      email: EMAIL,
      expiresAt: "2099-01-01T00:00:00Z",
    };
    await writeFile(path.join(dir, "config.json"), JSON.stringify(stored));
    const result = await runCli(["logout"], { env: { HOME: home, MIAOBU_CONFIG_DIR: dir } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("warning: the token was not revoked on the server");
    expect(JSON.parse(await readFile(path.join(dir, "config.json"), "utf8"))).toEqual({
      api: "http://127.0.0.1:9",
      email: EMAIL,
    });
  });

  it("says so when the password is wrong", async () => {
    const result = await runCli(["login", "--email", EMAIL, "--password-stdin"], {
      env: env(),
      input: "nope",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: Wrong email or password\n");
  });

  it("refuses to prompt when not on a terminal", async () => {
    const result = await runCli(["login", "--email", EMAIL], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--password-stdin");
  });

  it("tells an expired token to log in again", async () => {
    const result = await runCli(["projects", "list"], { env: env({ MIAOBU_TOKEN: EXPIRED_TOKEN }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: your login has expired: run `miaobu login`\n");
  });

  it("tells a stored token past its expiry to log in again without asking the API", async () => {
    const dir = path.join(home, "config");
    await mkdir(dir, { recursive: true });
    const expired = {
      api: api.url,
      token: api.issueToken(),
      email: EMAIL,
      expiresAt: "2020-01-01T00:00:00Z",
    };
    await writeFile(path.join(dir, "config.json"), JSON.stringify(expired));
    const result = await runCli(["whoami"], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: your login has expired: run `miaobu login`\n");
    expect(api.requests).toEqual([]);
  });
});

describe("projects", () => {
  it("creates, lists and deletes a project", async () => {
    const environment = authed();
    const created = await runCli(["projects", "create", "my-site", "--json"], { env: environment });
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).project).toMatchObject({ name: "my-site", productionBranch: "main" });

    const listed = await runCli(["projects", "list", "--json"], { env: environment });
    expect(JSON.parse(listed.stdout).projects.map((p: { name: string }) => p.name)).toEqual(["my-site"]);
    const human = await runCli(["projects", "list"], { env: environment });
    expect(human.stdout).toMatch(/^NAME\s+BRANCH\s+PRODUCTION URL/);
    expect(human.stdout).toContain("http://my-site.localhost:8788");

    const refused = await runCli(["projects", "delete", "my-site"], { env: environment });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("pass --yes");

    const deleted = await runCli(["projects", "delete", "my-site", "--yes", "--json"], { env: environment });
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: true, project: "my-site" });

    const gone = await runCli(["projects", "delete", "my-site", "--yes"], { env: environment });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('error: project "my-site" not found (run `miaobu projects list`)\n');
  });

  it("lists every project, following the API's pages", async () => {
    const environment = authed();
    const names = ["site-a", "site-b", "site-c", "site-d", "site-e"];
    for (const name of names)
      expect((await runCli(["projects", "create", name], { env: environment })).code).toBe(0);
    const listed = await runCli(["projects", "list", "--json"], { env: environment });
    expect(JSON.parse(listed.stdout).projects.map((p: { name: string }) => p.name)).toEqual(
      [...names].reverse(),
    );
    // The fake answers two per page: three requests.
    expect(api.requests.filter((r) => r.method === "GET" && r.path === "/api/v1/projects")).toHaveLength(3);
  });

  it("shows the API's validation errors on one line", async () => {
    const result = await runCli(["projects", "create", "Bad_Name"], { env: authed() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: The project name is not valid: name: use 1-40 characters of a-z, 0-9 and '-'\n",
    );
  });

  it("prints a JSON error object with --json", async () => {
    api.addProject("taken");
    const result = await runCli(["projects", "create", "taken", "--json"], { env: authed() });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: "conflict", message: 'A project named "taken" already exists', exitCode: 1 },
    });
  });
});

describe("deploy", () => {
  it("uploads exactly the missing blobs, batched within the limits, and nothing on a redeploy", async () => {
    api.addProject("my-site");
    api.seedBlobs("my-site", ["<h1>home</h1>"]);
    api.limits = { ...api.limits, maxBatchFiles: 2, maxBatchBytes: 16 * 1024 };
    const big = Buffer.alloc(40 * 1024, 7);
    const root = await site({
      "index.html": "<h1>home</h1>",
      "about/index.html": "<h1>about</h1>",
      "a.css": "a{}",
      "b.css": "b{}",
      "copy-of-b.css": "b{}",
      "c.js": "c()",
      "d.js": "d()",
      "big.bin": big,
      ".git/config": "[core]",
      "node_modules/x/index.js": "x",
      ".DS_Store": "junk",
      "sub/.DS_Store": "junk",
    });
    const environment = authed();
    const result = await runCli(["deploy", root, "--project", "my-site", "--message", "first", "--json"], {
      env: environment,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);

    const manifest = api.manifests[0] ?? [];
    expect(manifest.map((file) => file.path)).toEqual([
      "a.css",
      "about/index.html",
      "b.css",
      "big.bin",
      "c.js",
      "copy-of-b.css",
      "d.js",
      "index.html",
    ]);
    expect(manifest.find((file) => file.path === "big.bin")).toEqual({
      path: "big.bin",
      hash: sha256(big),
      size: big.length,
    });

    // Everything but index.html (already stored) and one copy of b.css, each exactly once.
    const expected = ["<h1>about</h1>", "a{}", "b{}", "c()", "d()"].map((text) => sha256(Buffer.from(text)));
    expected.push(sha256(big));
    expect(api.received.map((blob) => blob.hash).sort()).toEqual(expected.sort());
    expect(api.received.find((blob) => blob.hash === sha256(big))?.via).toBe("put");
    const uploads = api.uploadRequests();
    expect(uploads.filter((r) => r.method === "POST")).toHaveLength(3); // 5 small blobs, 2 per batch
    expect(uploads.filter((r) => r.method === "PUT")).toHaveLength(1);
    expect(uploads.every((r) => r.status === 201)).toBe(true);

    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      project: "my-site",
      branch: "main",
      environment: "production",
      status: "ready",
      files: 8,
      uploadedFiles: 6,
      uploadedBytes: big.length + 14 + 3 * 4,
      aliases: ["http://my-site.localhost:8788", "http://main--my-site.localhost:8788"],
    });
    expect(output.id).toMatch(/^dpl_/);
    expect(output.url).toMatch(/^http:\/\/.+--my-site\.localhost:8788$/);

    const before = api.uploadRequests().length;
    const again = await runCli(["deploy", root, "--project", "my-site", "--json"], { env: environment });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ uploadedFiles: 0, uploadedBytes: 0, files: 8 });
    expect(api.uploadRequests().length).toBe(before);
  });

  it("prints the URL and a few progress lines for humans", async () => {
    api.addProject("docs");
    const root = await site({ "index.html": "hello", "style.css": "body{}" });
    const result = await runCli(["deploy", root, "-p", "docs", "--branch", "feature-x"], { env: authed() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Deployed docs (preview, branch feature-x)");
    expect(result.stdout).toMatch(/URL: +http:\/\/\S+--docs\.localhost:8788/);
    expect(result.stdout).toContain("http://feature-x--docs.localhost:8788");
    expect(result.stdout).toContain("Uploaded: 2 files (11 B)\n");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toEqual([
      "Hashing 2 files (11 B)...",
      expect.stringMatching(/^Hashed 2 files \(11 B\) in /),
      "Uploading 2 files (11 B)...",
      expect.stringMatching(/^Uploaded 2 files \(11 B\) in /),
    ]);
  });

  it("retries transient upload failures", async () => {
    api.addProject("flaky");
    api.failUploads = [503, 429];
    const root = await site({ "index.html": "one", "two.html": "two" });
    const result = await runCli(["deploy", root, "--project", "flaky", "--json"], { env: authed() });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(api.uploadRequests().map((r) => r.status)).toEqual([503, 429, 201]);
    expect(JSON.parse(result.stdout).uploadedFiles).toBe(2);
  });

  it("uploads what finalize says is missing, then finalizes again", async () => {
    api.addProject("lossy");
    api.loseBlobsOnFinalize = 1;
    const root = await site({ "index.html": "one", "two.html": "two" });
    const result = await runCli(["deploy", root, "--project", "lossy", "--json"], { env: authed() });
    expect(result.code).toBe(0);
    const finalizes = api.requests.filter((r) => r.path.endsWith("/finalize")).map((r) => r.status);
    expect(finalizes).toEqual([422, 200]);
    expect(api.received).toHaveLength(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "ready", uploadedFiles: 3 });
  });

  it("says which project does not exist", async () => {
    const root = await site({ "index.html": "x" });
    const result = await runCli(["deploy", root, "--project", "foo"], { env: authed() });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n").at(-1)).toBe(
      'error: project "foo" not found (run `miaobu projects list`)',
    );
  });

  it("refuses a missing or empty folder before calling the API", async () => {
    const missing = await runCli(["deploy", path.join(home, "nope"), "--project", "x"], { env: authed() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: ${path.join(home, "nope")} does not exist\n`);
    const empty = path.join(home, "empty");
    await mkdir(path.join(empty, ".git"), { recursive: true });
    await writeFile(path.join(empty, ".git", "HEAD"), "ref");
    const result = await runCli(["deploy", empty, "--project", "x"], { env: authed() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has no files to deploy");
    expect(api.requests).toEqual([]);
  });

  it("needs --project", async () => {
    const result = await runCli(["deploy", home], { env: authed() });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: --project is required (see `miaobu deploy --help`)\n");
  });
});

describe("deployments, promote, rollback", () => {
  it("lists, promotes and rolls back", async () => {
    api.addProject("app");
    const environment = authed();
    const first = await runCli(["deploy", await site({ "index.html": "v1" }), "-p", "app", "--json"], {
      env: environment,
    });
    const second = await runCli(["deploy", await site({ "index.html": "v2" }), "-p", "app", "--json"], {
      env: environment,
    });
    const firstId = JSON.parse(first.stdout).id as string;
    const secondId = JSON.parse(second.stdout).id as string;

    const listed = await runCli(["deployments", "app", "--json"], { env: environment });
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout);
    expect(list.deployments.map((d: { id: string }) => d.id)).toEqual([secondId, firstId]);
    expect(list.nextCursor).toBeNull();
    const table = await runCli(["deployments", "app"], { env: environment });
    expect(table.stdout.split("\n")[1]).toMatch(new RegExp(`^\\*\\s+${secondId}\\s+ready\\s+production`));

    const rolled = await runCli(["rollback", "app", "--json"], { env: environment });
    expect(rolled.code).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({
      deployment: { id: firstId },
      project: { productionDeploymentId: firstId },
    });

    const promoted = await runCli(["promote", secondId], { env: environment });
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toContain(`Promoted ${secondId} to production of app`);

    const unknown = await runCli(["promote", "dpl_nope"], { env: environment });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'error: deployment "dpl_nope" not found (run `miaobu deployments <project>`)\n',
    );

    const badLimit = await runCli(["deployments", "app", "--limit", "zero"], { env: environment });
    expect(badLimit.code).toBe(2);
  });
});

describe("connection errors", () => {
  it("says the API cannot be reached", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const result = await runCli(["projects", "list"], {
      env: env({ MIAOBU_API: url, MIAOBU_TOKEN: "mb_x" }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: cannot reach the Miaobu API at ${url}: is \`npm start\` running?\n`);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
