import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { startBuilderStub } from "./vitest.builder-stub.ts";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, "workers/api/migrations"));
  // A recording stand-in for our own builder (docs/builder-protocol.md), for these unit tests only; the
  // real builder is tested end to end with the platform.
  const builderUrl = await startBuilderStub();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Small limits so tests can pass them cheaply.
            MIAOBU_MAX_FILES: "1500",
            MIAOBU_MAX_FILE_BYTES: "65536",
            BUILDER_URL: builderUrl,
            BUILDER_SECRET: "test-builder-secret",
            // Storage is isolated per test, so a test that starts three builds meets the global limit.
            MIAOBU_MAX_CONCURRENT_BUILDS: "2",
          },
        },
      }),
    ],
    test: { setupFiles: ["./test/setup.ts"] },
  };
});
