// The reference for the Workers target: an assets-only Worker (`assets = { directory, html_handling,
// not_found_handling }`, no `main`) in `wrangler dev`, Cloudflare's own Workers asset server, run offline.
import fs from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../../scripts/platform.ts";
import { type ReferenceServer, startWrangler } from "./wrangler-process.ts";

export type WorkersHtmlHandling =
  | "auto-trailing-slash"
  | "force-trailing-slash"
  | "drop-trailing-slash"
  | "none";
export type WorkersNotFoundHandling = "single-page-application" | "404-page" | "none";

/** One combination of Workers' two asset settings, by their Miaobu (API) names. */
export interface WorkersSettings {
  htmlHandling: WorkersHtmlHandling;
  notFoundHandling: WorkersNotFoundHandling;
}

export const HTML_HANDLINGS: readonly WorkersHtmlHandling[] = [
  "auto-trailing-slash",
  "force-trailing-slash",
  "drop-trailing-slash",
  "none",
];
export const NOT_FOUND_HANDLINGS: readonly WorkersNotFoundHandling[] = [
  "single-page-application",
  "404-page",
  "none",
];

/** The twelve combinations, html handling first. */
export const COMBINATIONS: readonly WorkersSettings[] = HTML_HANDLINGS.flatMap((htmlHandling) =>
  NOT_FOUND_HANDLINGS.map((notFoundHandling) => ({ htmlHandling, notFoundHandling })),
);

/** The date of the installed workerd build (its version is `1.YYYYMMDD.n`): newer ones make it refuse. */
async function workerdDate(): Promise<string> {
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, "node_modules/workerd/package.json"), "utf8"));
  const match = /^\d+\.(\d{4})(\d{2})(\d{2})\./.exec(String(pkg.version));
  if (!match) throw new Error(`unexpected workerd version ${pkg.version}`);
  return `${match[1]}-${match[2]}-${match[3]}`;
}

/** Serves `dir` as an assets-only Worker with `settings`, from a config written beside it. */
export async function startWorkersDev(dir: string, settings: WorkersSettings): Promise<ReferenceServer> {
  const configDir = `${dir}.worker`;
  await fs.mkdir(configDir, { recursive: true });
  const config = {
    name: "conformance",
    compatibility_date: await workerdDate(),
    assets: {
      directory: dir,
      html_handling: settings.htmlHandling,
      not_found_handling: settings.notFoundHandling,
    },
  };
  const configPath = path.join(configDir, "wrangler.json");
  await fs.writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const server = await startWrangler({
    label: "wrangler dev",
    args: ["dev", "-c", configPath],
    cwd: configDir,
    state: path.join(configDir, "state"),
  });
  return {
    port: server.port,
    async stop() {
      await server.stop();
      await fs.rm(configDir, { recursive: true, force: true });
    },
  };
}
