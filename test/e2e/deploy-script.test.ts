// `npm run deploy` refuses the local development secrets that wrangler.toml keeps for `npm start`.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { devSecretsIn, devSecretsMessage } from "../../scripts/deploy-check.ts";
import { ROOT } from "../../scripts/platform.ts";

describe("npm run deploy", () => {
  it("finds every development secret the checked-in configurations carry", () => {
    expect(devSecretsIn(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")).sort()).toEqual([
      "BUILDER_SECRET",
      "MIAOBU_ENCRYPTION_KEY",
      "MIAOBU_SESSION_SECRET",
    ]);
    expect(devSecretsIn(readFileSync(path.join(ROOT, "workers/router/wrangler.toml"), "utf8"))).toEqual([
      "MIAOBU_PREVIEW_SECRET",
    ]);
  });

  it("passes a configuration whose secrets were moved out of [vars], or hold other values", () => {
    const toml = [
      "[vars]",
      'MIAOBU_SITES_URL = "https://example.site"',
      '# BUILDER_SECRET = "dev-builder-secret"',
      'MIAOBU_SESSION_SECRET = "a-real-and-long-secret-value-0123456789"',
    ].join("\n");
    expect(devSecretsIn(toml)).toEqual([]);
  });

  it("says which secrets to move and how", () => {
    const message = devSecretsMessage("workers/router/wrangler.toml", ["MIAOBU_PREVIEW_SECRET"]);
    expect(message).toContain(
      "npx wrangler secret put MIAOBU_PREVIEW_SECRET -c workers/router/wrangler.toml",
    );
  });

  it("refuses before running wrangler, exiting non-zero with that message", () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, "scripts/deploy.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PATH: "/nonexistent" },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("wrangler.toml still sets development values for");
    expect(run.stderr).toContain("npx wrangler secret put BUILDER_SECRET");
    expect(run.stdout).not.toContain("== apply D1 migrations");
  });
});
