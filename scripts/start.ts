// `npm start`: the whole platform on this machine, with no Cloudflare or GitHub account.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ADMIN_EMAIL, ROOT, startPlatform } from "./platform.ts";

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`error: ${name}=${raw} is not a port number (1-65535)`);
    process.exit(2);
  }
  return value;
}

const apiPort = port("MIAOBU_API_PORT", 8787);
const routerPort = port("MIAOBU_ROUTER_PORT", 8788);
const builderPort = port("MIAOBU_BUILDER_PORT", 8789);
const dataDir = path.resolve(ROOT, process.env.MIAOBU_DATA_DIR ?? ".miaobu");
const started = Date.now();

/** A folder as the user would type it: relative when inside the current folder, else absolute. */
function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative === "" ? "." : relative.startsWith("..") ? dir : relative;
}

// Builds run in a sandbox made of Debian packages: install them now (as root) or name the command. Without
// them the platform still starts, and each build fails with the same fix (docs/security.md).
const sandbox = spawnSync("bash", [path.join(ROOT, "scripts/ensure-sandbox.sh")], { stdio: "inherit" });
if (sandbox.status !== 0)
  console.warn("warning: builds will be refused until the sandbox's programs are installed");

try {
  const platform = await startPlatform({
    dataDir,
    apiPort,
    routerPort,
    builderPort,
    adminPassword: process.env.MIAOBU_ADMIN_PASSWORD || undefined,
    log: (line) => console.log(line),
  });
  console.log(`
Miaobu is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)
  API and console  ${platform.apiUrl}
  sites            http://{project}.localhost:${routerPort}
  builder          ${platform.builderUrl} (internal)
  data             ${displayPath(dataDir)}
`);
  if (platform.generatedAdminPassword) {
    console.log(`Created the administrator account. This password is shown only once:
  email     ${ADMIN_EMAIL}
  password  ${platform.generatedAdminPassword}
(Set MIAOBU_ADMIN_PASSWORD and restart to choose another.)
`);
  }
  console.log(`Log in with: npx miaobu login --email ${ADMIN_EMAIL}\nPress Ctrl-C to stop.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await platform.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (/EADDRINUSE|address already in use/i.test(message)) {
    console.error(
      `error: port ${apiPort}, ${routerPort} or ${builderPort} is already in use. Stop the other process or set MIAOBU_API_PORT / MIAOBU_ROUTER_PORT / MIAOBU_BUILDER_PORT.`,
    );
  } else {
    console.error(`error: the platform did not start: ${message}`);
  }
  process.exit(1);
}
