// The secret-leak build: the builder runs as its own process (as `npm start` runs it) with
// BUILDER_SECRET in its environment; the build looks everywhere it can for the callback token and secret.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { FakeApi } from "./fake-api.ts";
import { buildRequest, call, freePort, GitServer, waitForPort } from "./harness.ts";

const secret = `bs_${randomBytes(16).toString("hex")}`;
const git = new GitServer();
const api = new FakeApi();
let child: ChildProcess;
let builderUrl: string;
let dataDir: string;

beforeAll(async () => {
  await git.start();
  await api.start();
  dataDir = await mkdtemp(path.join(tmpdir(), "miaobu-builder-"));
  await chmod(dataDir, 0o711);
  const port = await freePort();
  child = spawn(process.execPath, ["src/main.ts"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: {
      PATH: process.env.PATH ?? "",
      BUILDER_SECRET: secret,
      BUILDER_PORT: String(port),
      BUILDER_WORK_DIR: path.join(dataDir, "work"),
      BUILDER_CACHE_DIR: path.join(dataDir, "cache"),
      MIAOBU_GIT_ALLOWED_HOSTS: "127.0.0.1",
      // Not a secret: the machine's CA bundle, so the builder's own npm calls work behind a TLS proxy.
      ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    },
    stdio: "ignore",
  });
  builderUrl = `http://127.0.0.1:${port}`;
  await waitForPort(port);
});

afterAll(async () => {
  // The builder unmounts its builds' filesystems as it stops: wait for that before removing its folder.
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  await api.close();
  git.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(git.base, { recursive: true, force: true });
});

const SCRIPT = (builderPid: number) => `
set +e
mkdir -p dist
env > dist/env.txt
tr '\\0' '\\n' < /proc/$PPID/environ > dist/parent-environ.txt
{ cat /proc/${builderPid}/environ; echo "exit=$?"; } > dist/builder-environ.txt 2>&1
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < "$f"; echo; done > dist/proc.txt 2>/dev/null
grep -Ish -o -E '(mbd|bs)_[0-9a-f]{16,}' /* > dist/grep.txt
grep -rIsh -o -E '(mbd|bs)_[0-9a-f]{16,}' --exclude-dir=node_modules --exclude-dir=proc --exclude-dir=sys \\
  /tmp /var/tmp /dev/shm /run /etc /home /root /opt /srv /work "$HOME" "$PWD/.." >> dist/grep.txt
echo "searched: $(wc -l < dist/proc.txt) proc lines"
echo "the api key is $API_KEY and public is $PUBLIC_NAME"
`;

describe("isolation", () => {
  it("gives the build no way to the callback token or the builder secret, and masks secret env values", async () => {
    const builderPid = child.pid ?? 0;
    const apiKey = `sk_live_${randomBytes(12).toString("hex")}`;
    const request = buildRequest(git, api.url, "leak", {
      settings: { buildCommand: "sh build.sh", outputDir: "dist" },
      env: { API_KEY: apiKey, PUBLIC_NAME: "miaobu-public" },
      secretEnvKeys: ["API_KEY"],
    });
    const token = request.callback.token;
    // A control: a value of the same shape in the build's own checkout must be found, or the search proves
    // nothing. One in the host's /tmp, readable by anyone, must not be: the sandbox has its own /tmp.
    const canary = `bs_${randomBytes(16).toString("hex")}`;
    const hostCanary = `bs_${randomBytes(16).toString("hex")}`;
    const canaryFile = path.join(tmpdir(), `miaobu-canary-${randomBytes(4).toString("hex")}.txt`);
    await writeFile(canaryFile, hostCanary, { mode: 0o644 });
    onTestFinished(() => rm(canaryFile, { force: true }));
    await git.commit("leak", { "build.sh": SCRIPT(builderPid), "index.html": "x", "canary.txt": canary });

    api.expect(request.deploymentId, token);
    expect((await call(builderUrl, secret, "POST", "/builds", request)).status).toBe(202);
    const record = await api.finished(request.deploymentId);
    const log = api.logText(request.deploymentId);
    expect(record.status, log).toBe("ready");

    const file = (name: string) => {
      const entry = record.manifest?.find((f) => f.path === name);
      return api.blobs.get(entry?.hash ?? "")?.toString() ?? "";
    };
    const found = ["env.txt", "parent-environ.txt", "builder-environ.txt", "proc.txt", "grep.txt"].map(file);
    expect(found[3]?.length).toBeGreaterThan(0);
    expect(found[4]).toContain(canary);
    expect(found[4]).not.toContain(hostCanary);
    for (const text of found) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(secret);
    }
    // The build has its own PID namespace: the builder's process is not there to read.
    expect(found[2]).toMatch(/No such file|Permission denied/);
    expect(found[2]).toMatch(/exit=1/);
    const names = (found[0] ?? "")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => line.slice(0, line.indexOf("=")))
      .filter((name) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(name))
      .sort();
    expect(names).toEqual(
      [
        "API_KEY",
        "CI",
        "HOME",
        "MIAOBU_BRANCH",
        "MIAOBU_COMMIT",
        "MIAOBU_DEPLOYMENT_ID",
        "MIAOBU_PROJECT",
        "PATH",
        "PUBLIC_NAME",
      ].sort(),
    );
    expect(found[0]).toContain("CI=1");
    expect(found[0]).toContain(`MIAOBU_DEPLOYMENT_ID=${request.deploymentId}`);

    expect(log).not.toContain(token);
    expect(log).not.toContain(secret);
    expect(log).not.toContain(apiKey);
    expect(log).toContain("the api key is •••••• and public is miaobu-public");
  });
});
