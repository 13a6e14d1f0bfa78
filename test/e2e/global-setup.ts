// The platform's builder runs builds in the bubblewrap sandbox: its programs are installed (as root) or
// named before any suite starts a platform.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "../../scripts/platform.ts";

export default function setup(): void {
  execFileSync("bash", [path.join(ROOT, "scripts/ensure-sandbox.sh")], { stdio: "inherit" });
}
