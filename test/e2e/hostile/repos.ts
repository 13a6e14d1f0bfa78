// Repositories of hostile builds: a committed `build.js` tries an attack and writes what it achieved to
// `dist/result.json`, so a test reads the outcome from the deployed site.
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import type { GitServer } from "../../../containers/builder/test/harness.ts";

/** A commit: files to write, links to make (path → target) and paths to remove first. */
export interface CommitSpec {
  files?: Record<string, string>;
  links?: Record<string, string>;
  remove?: readonly string[];
}

/** Commits `spec` to the repository `name` served by `git`; returns the commit's sha. */
export function commitRepo(git: GitServer, name: string, spec: CommitSpec, message: string): Promise<string> {
  return git.commit(name, spec.files ?? {}, message, (dir) => {
    for (const gone of spec.remove ?? []) rmSync(path.join(dir, gone), { recursive: true, force: true });
    for (const [link, target] of Object.entries(spec.links ?? {})) {
      const at = path.join(dir, link);
      mkdirSync(path.dirname(at), { recursive: true });
      rmSync(at, { recursive: true, force: true });
      symlinkSync(target, at);
    }
  });
}

/** `package.json` whose build script is `node build.js`, with these dependencies. */
export function packageJson(name: string, dependencies: Record<string, string> = {}): string {
  return `${JSON.stringify({ name, version: "1.0.0", private: true, scripts: { build: "node build.js" }, dependencies }, null, 2)}\n`;
}

/**
 * A `build.js` that runs `body` (the attack, an async function body with `input`, `result`, `attempt`
 * and Node's `fs`, `path`, `net`, `child_process` in scope) and always writes `dist/result.json`.
 */
export function attackScript(input: unknown, body: string): string {
  return `const fs = require("node:fs");
const path = require("node:path");
const net = require("node:net");
const child_process = require("node:child_process");
const input = ${JSON.stringify(input)};
const result = {};
/** What an operation gave, or the error code that stopped it. */
function attempt(operation) {
  try {
    return { ok: true, value: operation() };
  } catch (error) {
    return { ok: false, error: String((error && error.code) || error) };
  }
}
async function attack() {
${body}
}
attack()
  .catch((error) => {
    result.crashed = String((error && error.stack) || error);
  })
  .finally(() => {
    fs.mkdirSync("dist", { recursive: true });
    fs.writeFileSync("dist/result.json", JSON.stringify(result));
    fs.writeFileSync("dist/index.html", "<p>hostile build done</p>");
    console.log("hostile build: result written");
  });
`;
}

/** A repository whose build is `attackScript(input, body)` with no dependencies. */
export function attackRepo(name: string, input: unknown, body: string): CommitSpec {
  return { files: { "package.json": packageJson(name), "build.js": attackScript(input, body) } };
}

/** A well-behaved site: its page says `text`. */
export function plainSite(name: string, text: string): CommitSpec {
  return {
    files: {
      "package.json": packageJson(name),
      "build.js": `require("node:fs").mkdirSync("dist", { recursive: true });\nrequire("node:fs").writeFileSync("dist/index.html", ${JSON.stringify(text)});\n`,
    },
  };
}
