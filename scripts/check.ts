// `npm run check`: types in every workspace, lint and format, generated Worker types current, and the
// OpenAPI document generated from the contract and valid.
// `--write-types` regenerates the Worker types instead of checking them.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./platform.ts";

const bin = (name: string) => path.join(ROOT, "node_modules/.bin", name);
const writeTypes = process.argv.includes("--write-types");

const workerTypes = [
  { dir: "workers/api", config: "../../wrangler.toml" },
  { dir: "workers/router", config: "wrangler.toml" },
];

const steps: { name: string; command: string; args: string[]; cwd?: string }[] = workerTypes.map((w) => ({
  name: `${writeTypes ? "generate" : "check"} Worker types (${w.dir})`,
  command: bin("wrangler"),
  args: ["types", "-c", w.config, "./worker-configuration.d.ts", ...(writeTypes ? [] : ["--check"])],
  cwd: path.join(ROOT, w.dir),
}));

if (!writeTypes) {
  for (const project of [
    "packages/shared",
    "packages/contract",
    "packages/detect",
    "packages/edge",
    "containers/builder",
    "packages/rules",
    "packages/db",
    "packages/storage",
    "workers/api",
    "workers/router",
    "cli",
    "web",
    "scripts",
  ]) {
    steps.push({
      name: `typecheck ${project}`,
      command: bin("tsc"),
      args: ["-p", path.join(project, "tsconfig.json")],
    });
  }
  steps.push({ name: "lint and format (biome)", command: bin("biome"), args: ["check", "."] });
  steps.push({
    name: "OpenAPI document generated and valid",
    command: process.execPath,
    args: [path.join(ROOT, "scripts/check-openapi.ts")],
  });
}

let failed = 0;
for (const step of steps) {
  const started = Date.now();
  const result = spawnSync(step.command, step.args, {
    cwd: step.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  const ok = result.status === 0;
  console.log(`${ok ? "ok  " : "FAIL"} ${step.name} (${Date.now() - started} ms)`);
  if (!ok) {
    failed++;
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
  }
}
if (failed > 0) {
  console.error(`\n${failed} check(s) failed.`);
  process.exit(1);
}
