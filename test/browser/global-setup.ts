// Before the browser suite: Chromium is installed, and web/dist is built from the current sources.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "../../scripts/platform.ts";

function run(command: string, args: string[], cwd = ROOT): void {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
}

export default function setup(): void {
  run("bash", [path.join(ROOT, "scripts/ensure-chromium.sh")]);
  run(path.join(ROOT, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], path.join(ROOT, "web"));
}
