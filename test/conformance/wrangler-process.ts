// Runs the reference servers, `wrangler pages dev` and `wrangler dev`, offline from the wrangler package the
// project installs, each in its own process group on a free loopback port.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../../scripts/platform.ts";
import { freePort } from "../support/platform.ts";
import { send } from "./http.ts";

/** A reference server answering on 127.0.0.1:port. */
export interface ReferenceServer {
  port: number;
  stop(): Promise<void>;
}

/** What to run: wrangler's arguments before `--port` and friends, and where its state may go. */
export interface WranglerCommand {
  label: string;
  args: string[];
  cwd: string;
  /** A folder for `--persist-to`, removed on stop. */
  state: string;
}

let toolDir: Promise<string> | undefined;

/**
 * A folder whose `node_modules` links to the project's. Without a Functions folder, `pages dev` serves
 * wrangler's `templates/pages-shim.ts` and looks for a wrangler config upwards from *that file*, which
 * finds the project's own wrangler.toml (the API Worker's bindings, and it then refuses to start). Run
 * through this link with symlinks preserved, the search starts outside the checkout and finds nothing.
 */
function wranglerOutsideCheckout(): Promise<string> {
  toolDir ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-conformance-wrangler-"));
    await fs.symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    return dir;
  })();
  return toolDir;
}

async function waitUntilAnswering(
  label: string,
  port: number,
  output: () => string,
  exited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`${label} exited:\n${output()}`);
    try {
      await send(port, { method: "GET", path: "/", headers: { host: "ready.localhost" } }, 2_000);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${label} did not answer on ${port} within 60 s:\n${output()}`);
}

/**
 * Starts wrangler with `command`. Another process may take the port between our probe and wrangler's
 * bind, so a start that fails is tried again on another.
 */
export async function startWrangler(command: WranglerCommand): Promise<ReferenceServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(command);
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function startOnce(command: WranglerCommand): Promise<ReferenceServer> {
  const tool = await wranglerOutsideCheckout();
  const port = await freePort();
  const inspectorPort = await freePort();
  const child = spawn(
    path.join(ROOT, "node_modules/.bin/node"),
    [
      path.join(tool, "node_modules/wrangler/bin/wrangler.js"),
      ...command.args,
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      command.state,
      "--log-level",
      "warn",
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: command.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        NODE_OPTIONS: "--preserve-symlinks --preserve-symlinks-main",
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  let output = "";
  let exited = false;
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exit = new Promise<void>((resolve) =>
    child.on("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      const killed = setTimeout(() => {
        if (!exited && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      }, 5_000);
      await exit;
      clearTimeout(killed);
    }
    await fs.rm(command.state, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(
      command.label,
      port,
      () => output,
      () => exited,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}
