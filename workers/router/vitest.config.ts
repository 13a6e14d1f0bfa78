import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, "workers/api/migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(import.meta.dirname, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Every suite is one client here; test/edge.test.ts sets its own rules.
            MIAOBU_PREVIEW_LOCKOUT_ADDRESS: "off",
            MIAOBU_PREVIEW_LOCKOUT_HOST: "off",
          },
        },
      }),
    ],
    // A bound for a hung test, not a speed budget (the default 5 s is one on a loaded machine).
    test: { setupFiles: ["./test/setup.ts"], testTimeout: 60_000 },
  };
});
