import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Builds `dist/miaobu.mjs` so the command tests run the same bundle users get. */
export function setup(): void {
  const cli = fileURLToPath(new URL("..", import.meta.url));
  const result = spawnSync(process.execPath, ["build.mjs"], { cwd: cli, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`building the CLI failed:\n${result.stderr}`);
}
