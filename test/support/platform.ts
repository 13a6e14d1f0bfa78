// Helpers for suites that start the real local platform and drive the real CLI.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { type Platform, ROOT, startPlatform } from "../../scripts/platform.ts";

export const ADMIN_PASSWORD = "correct horse battery staple";

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

export interface TestPlatform {
  platform: Platform;
  dataDir: string;
  apiPort: number;
  routerPort: number;
  configDir: string;
  /** What the platform logged (migrations, re-encrypted secrets), across restarts. */
  logs: string[];
  /** Stops and starts the platform on the same data folder; `beforeStart` runs while it is stopped. */
  restart(beforeStart?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the platform with its state in a fresh temporary folder. */
export async function startTestPlatform(
  apiVars?: Record<string, string>,
  extra: { acmeCaBundle?: string; storage?: Record<string, string>; gitAllowedHosts?: string } = {},
): Promise<TestPlatform> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-e2e-"));
  const configDir = path.join(dataDir, "cli-config");
  const apiPort = await freePort();
  const routerPort = await freePort();
  const builderPort = await freePort();
  const logs: string[] = [];
  const options = {
    dataDir,
    apiPort,
    routerPort,
    builderPort,
    adminPassword: ADMIN_PASSWORD,
    // The suites build from a `git daemon` on loopback, which the git URL policy refuses unless allowed.
    gitAllowedHosts: "127.0.0.1,localhost",
    log: (line: string) => {
      logs.push(line);
    },
    // The Workers' request logs would bury test output; warnings and errors still show.
    workerLog: ({ level, message }: { level: string; message: string }) => {
      if (process.env.MIAOBU_TEST_LOGS === "1" || level === "error" || level === "warn") {
        process.stderr.write(`[worker ${level}] ${message}\n`);
      }
    },
    ...(apiVars ? { apiVars } : {}),
    ...extra,
  };
  const handle: TestPlatform = {
    platform: await startPlatform(options),
    dataDir,
    apiPort,
    routerPort,
    configDir,
    logs,
    async restart(beforeStart) {
      await handle.platform.stop();
      await beforeStart?.();
      handle.platform = await startPlatform(options);
    },
    async stop() {
      await handle.platform.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
      // Outside the data folder when running as root (scripts/builder-process.ts).
      await fs.rm(handle.platform.builderDir, { recursive: true, force: true });
    },
  };
  return handle;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `miaobu` CLI against the test platform. */
export function runCli(
  t: TestPlatform,
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "cli/bin/miaobu.mjs"), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: t.dataDir,
        MIAOBU_CONFIG_DIR: t.configDir,
        MIAOBU_API: t.platform.apiUrl,
        ...options.env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** `miaobu login` as admin@localhost, saving the token for the next runs; throws with the CLI's words. */
export async function loginAdmin(t: TestPlatform): Promise<void> {
  const login = await runCli(t, ["login", "--email", "admin@localhost", "--password-stdin"], {
    input: `${ADMIN_PASSWORD}\n`,
  });
  if (login.code !== 0) throw new Error(`miaobu login failed (exit ${login.code}): ${login.stderr}`);
}

export interface SiteResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GETs a path from the router with the given Host header, as a browser visiting that site would. */
export function getSite(
  t: TestPlatform,
  host: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<SiteResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: t.routerPort,
        path: pathname,
        method: "GET",
        headers: { host: `${host}:${t.routerPort}`, ...headers },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Writes files (relative path → content) under a new folder. */
export async function writeSite(root: string, files: Record<string, string | Buffer>): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(root, rel);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, content);
  }
  return root;
}

/**
 * Waits until the site at `host` answers `pathname` with `body`. A promotion reaches every router isolate
 * within the route cache bound (2 s by default), so a test waits at most a little longer than that.
 */
export async function expectSiteBody(
  t: TestPlatform,
  host: string,
  pathname: string,
  body: string,
  withinMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last: SiteResponse | undefined;
  while (Date.now() < deadline) {
    last = await getSite(t, host, pathname);
    if (last.status === 200 && last.body === body) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${host}${pathname} answered ${last?.status} ${JSON.stringify(last?.body)}, expected ${JSON.stringify(body)}`,
  );
}

/** The API token `miaobu login` saved for this platform's CLI runs. */
export async function savedToken(t: TestPlatform): Promise<string> {
  const config = JSON.parse(await fs.readFile(path.join(t.configDir, "config.json"), "utf8")) as {
    token: string;
  };
  return config.token;
}
