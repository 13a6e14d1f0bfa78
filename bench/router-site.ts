// The site bench/router serves, and Cloudflare's own static-asset server (`wrangler dev` with [assets])
// serving the same folder as the peer.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT } from "../scripts/platform.ts";

export const PAGES = 200;
export const ASSETS = 50;
export const STATIC_REDIRECTS = 90;
export const DYNAMIC_REDIRECTS = 10;

/** The paths the bench requests, and what each must answer. */
export const ENDPOINTS = [
  { name: "HTML page", path: "/pages/p42", status: 200 },
  { name: "hashed asset", path: "", status: 200 },
  { name: "redirect", path: "/old/p42", status: 301 },
  { name: "404", path: "/missing/page", status: 404 },
] as const;

function filler(seed: number, bytes: number): string {
  const words = ["lorem", "ipsum", "dolor", "sit", "amet", "miaobu", "static", "edge", "router", "cache"];
  let out = "";
  for (let i = 0; out.length < bytes; i++) out += `${words[(seed * 7 + i * 3) % words.length]} `;
  return out.slice(0, bytes);
}

/** Writes the site; returns the path of one hashed asset. */
export async function generateRouterSite(dir: string): Promise<string> {
  await fs.mkdir(path.join(dir, "pages"), { recursive: true });
  await fs.mkdir(path.join(dir, "assets"), { recursive: true });
  const assets: string[] = [];
  for (let i = 0; i < ASSETS; i++) {
    const body = `/* chunk ${i} */\n${filler(i, 20_000)}\n`;
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 8);
    const name = `/assets/chunk-${i}.${hash}.js`;
    assets.push(name);
    await fs.writeFile(path.join(dir, name), body);
  }
  for (let i = 0; i < PAGES; i++) {
    const html = `<!doctype html><title>Page ${i}</title><script src="${assets[i % ASSETS]}"></script><p>${filler(i, 4_000)}</p>`;
    await fs.writeFile(path.join(dir, "pages", `p${i}.html`), html);
  }
  await fs.writeFile(path.join(dir, "index.html"), "<!doctype html><title>Bench</title><h1>Bench</h1>");
  await fs.writeFile(path.join(dir, "404.html"), "<!doctype html><title>Not found</title><h1>Not found</h1>");
  const rules: string[] = [];
  for (let i = 0; i < STATIC_REDIRECTS; i++) rules.push(`/old/p${i} /pages/p${i} 301`);
  for (let i = 0; i < DYNAMIC_REDIRECTS; i++) rules.push(`/legacy-${i}/* /pages/:splat 301`);
  await fs.writeFile(path.join(dir, "_redirects"), `${rules.join("\n")}\n`);
  return assets[7] ?? "";
}

export interface Peer {
  port: number;
  stop(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`wrangler dev did not answer on port ${port} within ${timeoutMs} ms`);
}

/** Starts `wrangler dev` on an assets-only Worker serving `siteDir`, Pages-style 404 handling included. */
export async function startCloudflarePeer(siteDir: string, workDir: string, port: number): Promise<Peer> {
  const config = path.join(workDir, "wrangler.toml");
  await fs.writeFile(
    config,
    [
      'name = "bench-assets"',
      'compatibility_date = "2026-11-01"',
      "[assets]",
      `directory = ${JSON.stringify(siteDir)}`,
      'html_handling = "auto-trailing-slash"',
      'not_found_handling = "404-page"',
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    path.join(ROOT, "node_modules/.bin/wrangler"),
    [
      "dev",
      "-c",
      config,
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      path.join(workDir, "state"),
    ],
    {
      cwd: workDir,
      detached: true,
      stdio: "ignore",
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  };
  try {
    await waitForPort(port, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}

/**
 * Cloudflare's asset server on equal terms with Miaobu's router: the same assets-only configuration run in
 * one Miniflare instance with workerd's socket exposed directly (as the local platform runs the router), so
 * no `wrangler dev` proxy sits in front of it. A one-line Worker hands every request to the ASSETS binding.
 */
export async function startCloudflareDirectPeer(
  siteDir: string,
  workDir: string,
  port: number,
): Promise<Peer> {
  const dir = path.join(workDir, "direct");
  await fs.mkdir(dir, { recursive: true });
  const worker = path.join(dir, "worker.js");
  await fs.writeFile(worker, "export default { fetch: (request, env) => env.ASSETS.fetch(request) };\n");
  const config = path.join(dir, "wrangler.toml");
  await fs.writeFile(
    config,
    [
      'name = "bench-assets-direct"',
      'main = "worker.js"',
      'compatibility_date = "2026-11-01"',
      "[assets]",
      `directory = ${JSON.stringify(siteDir)}`,
      'binding = "ASSETS"',
      'html_handling = "auto-trailing-slash"',
      'not_found_handling = "404-page"',
      "",
    ].join("\n"),
  );
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config, undefined, {
    overrides: { enableContainers: false },
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          ...workerOptions,
          name: "assets",
          rootPath: undefined,
          modulesRules: undefined,
          modulesRoot: dir,
          modules: [{ type: "ESModule", path: worker, contents: await fs.readFile(worker, "utf8") }],
          unsafeDirectSockets: [{ host: "127.0.0.1", port }],
        },
      ],
    } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  await mf.ready;
  return { port, stop: () => mf.dispose() };
}
