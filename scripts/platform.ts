// The local platform: both Workers in one workerd (through Miniflare), each on its own port, sharing one
// D1 database and one R2 bucket persisted to a folder. `wrangler dev` exposes only its first Worker, so
// the local platform drives Miniflare itself with the options wrangler derives from each wrangler.toml.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { hashPassword, newId, randomBase32, verifyPassword } from "@miaobu/shared";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const ADMIN_EMAIL = "admin@localhost";

export interface PlatformOptions {
  dataDir: string;
  apiPort: number;
  routerPort: number;
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** Password for admin@localhost on first start; generated when absent. */
  adminPassword?: string;
  /** Extra vars for the API Worker (tests use this to lower limits). */
  apiVars?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Platform {
  apiUrl: string;
  routerUrl: string;
  /** Set when this start created the administrator with a generated password. */
  generatedAdminPassword: string | null;
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
    ["deploy", "--dry-run", "--outdir", b.outDir, "-c", b.configPath],
    ROOT,
  );
  return path.join(b.outDir, "index.js");
}

type D1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;
type WorkerOptions = ReturnType<typeof unstable_getMiniflareWorkerOptions>["workerOptions"];

async function workerOptions(
  b: Bundle,
  entry: string,
  port: number,
  host: string,
  vars: Record<string, string>,
): Promise<WorkerOptions> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(b.configPath);
  const bindings = { ...(workerOptions.bindings ?? {}), ...vars };
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

/** Applies the D1 migrations not yet applied, recording them in `d1_migrations` as wrangler does. */
export async function applyMigrations(db: D1): Promise<string[]> {
  await db
    .prepare(
      "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .run();
  const applied = new Set(
    (await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((r) => r.name),
  );
  const dir = path.join(ROOT, "workers/api/migrations");
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    const sql = await fs.readFile(path.join(dir, file), "utf8");
    const statements = unstable_splitSqlQuery(sql.replaceAll("--> statement-breakpoint", ""))
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    await db.batch([
      ...statements.map((s) => db.prepare(s)),
      db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(file),
    ]);
    done.push(file);
  }
  return done;
}

/** Creates admin@localhost on first start; resets its password when MIAOBU_ADMIN_PASSWORD differs. */
async function ensureAdmin(
  db: D1,
  password: string | undefined,
  log: (line: string) => void,
): Promise<string | null> {
  const existing = await db
    .prepare("SELECT id, password_hash FROM users WHERE email = ?")
    .bind(ADMIN_EMAIL)
    .first<{ id: string; password_hash: string | null }>();
  if (existing) {
    if (password && !(existing.password_hash && (await verifyPassword(password, existing.password_hash)))) {
      await db
        .prepare("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(await hashPassword(password), existing.id)
        .run();
      log(`The password of ${ADMIN_EMAIL} was set from MIAOBU_ADMIN_PASSWORD.`);
    }
    return null;
  }
  const chosen = password ?? randomBase32(20);
  await db
    .prepare(
      "INSERT INTO users (id, email, name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, 1, ?)",
    )
    .bind(newId("user"), ADMIN_EMAIL, "Administrator", await hashPassword(chosen), Date.now())
    .run();
  return password ? null : chosen;
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy: ${last}`);
}

/** Starts API and router Workers in workerd with state in `dataDir`. */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const log = options.log ?? (() => {});
  const host = options.host ?? "127.0.0.1";
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
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
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      resourcePersistencePath: path.join(dataDir, "state"),
      workers: [
        await workerOptions(api, apiEntry, options.apiPort, host, {
          MIAOBU_SITES_URL: sitesUrl,
          ...options.apiVars,
        }),
        await workerOptions(router, routerEntry, options.routerPort, host, {
          MIAOBU_BASE_DOMAIN: "localhost",
        }),
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  try {
    await mf.ready;
    const db = await mf.getD1Database("DB", "api");
    const applied = await applyMigrations(db);
    if (applied.length > 0) log(`Applied migrations: ${applied.join(", ")}`);
    const generatedAdminPassword = await ensureAdmin(db, options.adminPassword, log);
    const apiUrl = `http://localhost:${options.apiPort}`;
    await waitForHealth(`http://${host}:${options.apiPort}/healthz`, 30_000);
    return {
      apiUrl,
      routerUrl: sitesUrl,
      generatedAdminPassword,
      stop: () => mf.dispose(),
    };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}
