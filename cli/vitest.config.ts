import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    // The command tests spawn the built CLI, so build it once first.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 20_000,
  },
});
