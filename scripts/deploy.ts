// `npm run deploy`: applies the D1 migrations to the remote database, then deploys the API and router
// Workers to the Cloudflare account wrangler is logged in to. Set real ids in wrangler.toml first.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { devSecretsIn, devSecretsMessage } from "./deploy-check.ts";
import { ROOT } from "./platform.ts";

// Nothing is deployed while a configuration still carries the local development secrets.
let refused = false;
for (const config of ["wrangler.toml", "workers/router/wrangler.toml"]) {
  const names = devSecretsIn(readFileSync(path.join(ROOT, config), "utf8"));
  if (names.length === 0) continue;
  console.error(`error: ${devSecretsMessage(config, names)}\n`);
  refused = true;
}
if (refused) process.exit(1);

const wrangler = path.join(ROOT, "node_modules/.bin/wrangler");
const steps: [string, string[]][] = [
  ["apply D1 migrations (remote)", ["d1", "migrations", "apply", "DB", "--remote", "-c", "wrangler.toml"]],
  ["deploy the API Worker", ["deploy", "-c", "wrangler.toml"]],
  ["deploy the router Worker", ["deploy", "-c", "workers/router/wrangler.toml"]],
];

for (const [name, args] of steps) {
  console.log(`\n== ${name}: wrangler ${args.join(" ")}`);
  const result = spawnSync(wrangler, args, { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`error: ${name} failed (exit ${result.status}). Nothing after it was deployed.`);
    process.exit(1);
  }
}
