// The local platform: both Workers in one workerd (through Miniflare), each on its own port, sharing one
// D1 database and one R2 bucket persisted to a folder. `wrangler dev` exposes only its first Worker, so
// the local platform drives Miniflare itself with the options wrangler derives from each wrangler.toml.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import tls from "node:tls";
import { STORAGE_VARIABLES, storageConfig, storageVars } from "@miaobu/storage/config";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { Agent, fetch as undiciFetch } from "undici";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { builderBase, pick, startBuilderProcess } from "./builder-process.ts";
import { type ClientAddressProxy, startClientAddressProxy } from "./client-address-proxy.ts";
import { ADMIN_EMAIL, type D1, prepareDatabase } from "./database.ts";
import { installSecrets, refuseDevValues } from "./secrets.ts";

export const ROOT = path.resolve(import.meta.dirname, "..");
export { ADMIN_EMAIL };

export interface PlatformOptions {
  dataDir: string;
  apiPort: number;
  routerPort: number;
  builderPort: number;
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** Password for admin@localhost on first start; generated when absent. */
  adminPassword?: string;
  /**
   * Where site files live (`MIAOBU_STORAGE` with `MIAOBU_S3_*` or `MIAOBU_OSS_*`, docs/storage.md), for both
   * Workers and the builder. Default: those variables of this process's environment, else R2 in workerd.
   */
  storage?: Record<string, string>;
  /** Extra vars for the API Worker (tests use this to lower limits). */
  apiVars?: Record<string, string>;
  /**
   * PEM certificates the API Worker trusts besides the public CAs, for a private ACME server such as Pebble
   * (`MIAOBU_ACME_CA_BUNDLE`, a file path, for `npm start`). Workers cannot be given a CA per request, so the
   * local platform sends the API's outbound requests through Node with this trust.
   */
  acmeCaBundle?: string;
  /**
   * `MIAOBU_GIT_ALLOWED_HOSTS`: comma-separated loopback or private hosts that git URLs may name anyway, for
   * the API and the builder (the test suites' `git daemon`). Default: that variable of this process's env.
   */
  gitAllowedHosts?: string;
  log?: (line: string) => void;
  /** Where the Workers' own log lines go (`console.log` in a Worker); default this process's stdout/stderr. */
  workerLog?: (entry: { level: string; message: string }) => void;
}

export interface Platform {
  apiUrl: string;
  routerUrl: string;
  builderUrl: string;
  /** The builder's work and cache folders (`BUILDER_DATA_DIR`); outside the data folder when run as root. */
  builderDir: string;
  /** Set when this start created the administrator with a generated password. */
  generatedAdminPassword: string | null;
  /** Runs the API Worker's cron handler once, as the `[triggers]` schedule would. */
  runScheduled(): Promise<void>;
  /** The API's D1 database, for maintenance and for tests that set up what the API cannot. */
  database(): Promise<D1>;
  stop(): Promise<void>;
}

interface Bundle {
  name: "api" | "router";
  configPath: string;
  outDir: string;
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.join(" ")} failed (exit ${code}):\n${output}`));
    });
  });
}

/** Bundles a Worker exactly as `wrangler deploy` would, without deploying. */
async function bundle(b: Bundle): Promise<string> {
  await fs.rm(b.outDir, { recursive: true, force: true });
  await run(
    path.join(ROOT, "node_modules/.bin/wrangler"),
    // No container image is built locally: the builder runs as a plain process (startBuilderProcess).
    ["deploy", "--dry-run", "--containers-rollout=none", "--outdir", b.outDir, "-c", b.configPath],
    ROOT,
  );
  return path.join(b.outDir, "index.js");
}

type WorkerOptions = ReturnType<typeof unstable_getMiniflareWorkerOptions>["workerOptions"];

async function workerOptions(
  b: Bundle,
  entry: string,
  port: number,
  host: string,
  vars: Record<string, string>,
): Promise<WorkerOptions> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(b.configPath, undefined, {
    overrides: { enableContainers: false },
  });
  const bindings = { ...(workerOptions.bindings ?? {}), ...vars };
  refuseDevValues(b.name, bindings);
  return {
    ...workerOptions,
    name: b.name,
    bindings,
    rootPath: undefined,
    modulesRules: undefined,
    modulesRoot: path.dirname(entry),
    modules: [{ type: "ESModule", path: entry, contents: await fs.readFile(entry, "utf8") }],
    unsafeDirectSockets: [{ host, port }],
  } as WorkerOptions;
}

/** An outbound fetch for a Worker that trusts `caPem` besides Node's public roots. */
function trustingFetch(caPem: string) {
  const dispatcher = new Agent({ connect: { ca: [...tls.rootCertificates, caPem] } });
  return (request: Request) =>
    undiciFetch(request as unknown as Parameters<typeof undiciFetch>[0], {
      dispatcher,
    }) as unknown as Promise<Response>;
}

function printWorkerLog({ level, message }: { level: string; message: string }): void {
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(`${message}\n`);
}

async function waitForHealth(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { headers });
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy: ${last}`);
}

/** Starts API and router Workers in workerd, and the builder, with state in `dataDir`. */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const log = options.log ?? (() => {});
  const host = options.host ?? "127.0.0.1";
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Its D1 file, blobs and keys are for this process alone; build users work in `builderBase`, outside it.
  await fs.chmod(dataDir, 0o700);
  const installed = await installSecrets(dataDir);
  const { secrets } = installed;
  const builderDir = await builderBase(dataDir);
  const gitAllowedHosts = options.gitAllowedHosts ?? process.env.MIAOBU_GIT_ALLOWED_HOSTS ?? "";
  const gitVars: Record<string, string> = gitAllowedHosts
    ? { MIAOBU_GIT_ALLOWED_HOSTS: gitAllowedHosts }
    : {};
  const storage = storageVars(storageConfig(options.storage ?? pick(process.env, [...STORAGE_VARIABLES])));
  const buildDir = path.join(dataDir, "build");
  const api: Bundle = {
    name: "api",
    configPath: path.join(ROOT, "wrangler.toml"),
    outDir: path.join(buildDir, "api"),
  };
  const router: Bundle = {
    name: "router",
    configPath: path.join(ROOT, "workers/router/wrangler.toml"),
    outDir: path.join(buildDir, "router"),
  };
  log("Bundling the Workers…");
  const [apiEntry, routerEntry] = await Promise.all([bundle(api), bundle(router)]);

  const sitesUrl = `http://localhost:${options.routerPort}`;
  const caPath = process.env.MIAOBU_ACME_CA_BUNDLE;
  const acmeCaBundle = options.acmeCaBundle ?? (caPath ? await fs.readFile(caPath, "utf8") : undefined);
  const mf = new Miniflare(
    // wrangler's worker options and Miniflare's v4 options describe the same shape with different types.
    convertV4MiniflareOptions({
      resourcePersistencePath: path.join(dataDir, "state"),
      handleStructuredLogs: options.workerLog ?? printWorkerLog,
      workers: [
        {
          // Clients come through the client-address proxy on the public port (below); this socket stays on loopback.
          ...(await workerOptions(api, apiEntry, 0, "127.0.0.1", {
            MIAOBU_SITES_URL: sitesUrl,
            MIAOBU_API_URL: `http://${host}:${options.apiPort}`,
            // The API answers 503 until this administrator exists (prepareDatabase creates it after start).
            MIAOBU_READY_ADMIN_EMAIL: ADMIN_EMAIL,
            MIAOBU_BUILDER: "url",
            BUILDER_URL: `http://${host}:${options.builderPort}`,
            // GitHub sign-in, import and webhooks appear when its OAuth app and webhook secret are configured.
            ...pick(process.env, [
              "GITHUB_CLIENT_ID",
              "GITHUB_CLIENT_SECRET",
              "GITHUB_WEBHOOK_SECRET",
              "GITHUB_URL",
              "GITHUB_API_URL",
              "MIAOBU_DOH_URL",
              "MIAOBU_DOMAIN_TARGET",
              "MIAOBU_ACME_DIRECTORY",
              "MIAOBU_ACME_EMAIL",
            ]),
            ...storage,
            ...gitVars,
            // The proxy sets it from the socket's peer, so clients get their own per-IP limits.
            MIAOBU_TRUST_CF_CONNECTING_IP: "true",
            ...options.apiVars,
            // Last, so nothing passes wrangler.toml's public development values through.
            MIAOBU_SESSION_SECRET: secrets.sessionSecret,
            MIAOBU_ENCRYPTION_KEY: secrets.encryptionKey,
            BUILDER_SECRET: secrets.builderSecret,
          })),
          ...(acmeCaBundle ? { outboundService: trustingFetch(acmeCaBundle) } : {}),
          // wrangler.toml names the router by its production name; here it is the worker "router".
          serviceBindings: { ROUTE_EVENTS: { name: "router", entrypoint: "RouteEvents" } },
        },
        await workerOptions(router, routerEntry, options.routerPort, host, {
          MIAOBU_BASE_DOMAIN: "localhost",
          // The API tells this router about every route change (ROUTE_EVENTS), so the colo tier is safe here.
          MIAOBU_ROUTE_EDGE_CACHE_SECONDS: "60",
          ...storage,
          MIAOBU_PREVIEW_SECRET: secrets.previewSecret,
        }),
      ],
    } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const builderSecret = secrets.builderSecret;
  const builder = startBuilderProcess({
    base: builderDir,
    port: options.builderPort,
    host,
    secret: builderSecret,
    storage,
    gitAllowedHosts,
  });
  let proxy: ClientAddressProxy | undefined;
  try {
    await mf.ready;
    const internal = await mf.unsafeGetDirectURL("api");
    const target = { host: internal.hostname, port: Number(internal.port) };
    proxy = await startClientAddressProxy({ host, port: options.apiPort, target });
    const db = await mf.getD1Database("DB", "api");
    const generatedAdminPassword = await prepareDatabase(db, installed, options.adminPassword, log);
    const apiUrl = `http://localhost:${options.apiPort}`;
    await waitForHealth(`http://${host}:${options.apiPort}/healthz`, 30_000);
    const builderUrl = `http://${host}:${options.builderPort}`;
    await waitForHealth(`${builderUrl}/healthz`, 30_000, { Authorization: `Bearer ${builderSecret}` }).catch(
      (error: unknown) => {
        throw new Error(`the builder did not start: ${String(error)}\n${builder.output()}`);
      },
    );
    return {
      apiUrl,
      routerUrl: sitesUrl,
      builderUrl,
      builderDir,
      generatedAdminPassword,
      runScheduled: async () => {
        const worker = await mf.getWorker("api");
        await worker.scheduled({ cron: "*/15 * * * *" });
      },
      database: () => mf.getD1Database("DB", "api"),
      stop: async () => {
        await proxy?.close();
        await builder.stop();
        await mf.dispose();
      },
    };
  } catch (error) {
    await proxy?.close();
    await builder.stop();
    await mf.dispose();
    throw error;
  }
}
