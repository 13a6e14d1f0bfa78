// The reference: `wrangler pages dev <dir>`, Cloudflare's own Pages asset server, run offline from the
// wrangler package the project installs.
import path from "node:path";
import { type ReferenceServer, startWrangler } from "./wrangler-process.ts";

export type PagesDev = ReferenceServer;

/** Starts `wrangler pages dev dir` on a free loopback port, in its own process group. */
export function startPagesDev(dir: string): Promise<PagesDev> {
  return startWrangler({
    label: "wrangler pages dev",
    args: ["pages", "dev", dir, "--compatibility-date", "2025-09-01"],
    cwd: path.dirname(dir),
    state: path.join(path.dirname(dir), `${path.basename(dir)}.wrangler-state`),
  });
}
