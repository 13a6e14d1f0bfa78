import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    globalSetup: ["test/global-setup.ts"],
    // The suites' repositories are served by a `git daemon` on loopback, which the git URL policy refuses
    // unless the operator allows it.
    env: { MIAOBU_GIT_ALLOWED_HOSTS: "127.0.0.1,localhost" },
    include: ["test/**/*.test.ts"],
    // Builds install from the registry and share build users and caches: one file at a time.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
