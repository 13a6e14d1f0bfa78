// Builds run in the bubblewrap sandbox: its programs are installed (as root) or named before any test runs.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  execFileSync("bash", [fileURLToPath(new URL("../../../scripts/ensure-sandbox.sh", import.meta.url))], {
    stdio: "inherit",
  });
}
