import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { startTestDns } from "../../test/support/dns.ts";
import { startBuilderStub } from "./vitest.builder-stub.ts";
import { startCloudflareStub } from "./vitest.cloudflare-stub.ts";
import { startGitHubStub, webhookExamples } from "./vitest.github-stub.ts";
import { routerStub } from "./vitest.router-stub.ts";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, "workers/api/migrations"));
  // A recording stand-in for our own builder (docs/builder-protocol.md), for these unit tests only; the
  // real builder is tested end to end with the platform.
  const builderUrl = await startBuilderStub();
  // GitHub is a third-party SaaS, so its stand-in is a fake speaking its wire format.
  const githubUrl = await startGitHubStub("test-client-id", "test-client-secret");
  // Domain checks ask a real DNS server on loopback (pebble-challtestsrv) through a DoH bridge.
  const dns = await startTestDns();
  // Cloudflare for SaaS is a third-party API: a fake speaking its wire format.
  const cloudflareUrl = await startCloudflareStub("test-zone", "test-cloudflare-token");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        miniflare: {
          // The router's RouteEvents entrypoint that wrangler.toml binds as ROUTE_EVENTS.
          workers: [routerStub],
          serviceBindings: { TEST_ROUTE_EVENTS: "miaobu-router" },
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Small limits so tests can pass them cheaply.
            MIAOBU_MAX_FILES: "1500",
            MIAOBU_MAX_FILE_BYTES: "65536",
            MIAOBU_MAX_CACHE_BYTES: "65536",
            MIAOBU_MAX_PROJECT_CACHE_BYTES: "150000",
            BUILDER_URL: builderUrl,
            BUILDER_SECRET: "test-builder-secret",
            // Storage is isolated per test, so a test that starts three builds meets the global limit.
            MIAOBU_MAX_CONCURRENT_BUILDS: "2",
            GITHUB_CLIENT_ID: "test-client-id",
            GITHUB_CLIENT_SECRET: "test-client-secret",
            GITHUB_WEBHOOK_SECRET: "test-webhook-secret",
            GITHUB_URL: githubUrl,
            GITHUB_API_URL: githubUrl,
            GITHUB_EXAMPLES: webhookExamples(),
            // The builds' git URL (test/build-helpers.ts) names a git daemon on loopback; nothing else is allowed,
            // so test/git-url.test.ts sees the policy refuse 127.0.0.1 on any other port.
            MIAOBU_GIT_ALLOWED_HOSTS: "127.0.0.1:9418",
            MIAOBU_DOH_URL: dns.dohUrl,
            TEST_DNS_MANAGEMENT_URL: dns.managementUrl,
            TEST_CLOUDFLARE_API_URL: cloudflareUrl,
            // Every suite shares one client address and makes many requests; the rate-limit tests build their
            // own low limits (test/rate-limit*.test.ts), so here the limiter runs but never refuses.
            MIAOBU_RATE_LIMIT_LOGIN: "100000/1m",
            MIAOBU_RATE_LIMIT_UNAUTHENTICATED: "100000/1m",
            MIAOBU_RATE_LIMIT_API: "100000/1m",
            MIAOBU_RATE_LIMIT_DEPLOY: "100000/1m",
            MIAOBU_RATE_LIMIT_BLOBS: "100000/1m",
            // Suites sign in with wrong passwords on purpose; test/login-lockout.test.ts sets its own rule.
            MIAOBU_LOGIN_LOCKOUT: "off",
            // Requests go to http://localhost, the console's origin here.
            MIAOBU_CONSOLE_ORIGIN: "http://localhost",
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      // A bound for a hung test, not a speed budget: on a loaded 2-core machine the heaviest tests (thousands
      // of stored objects) take well over vitest's default 5 s.
      testTimeout: 60_000,
      // One JSON line per request (middleware/logging.ts) would bury the test output; test/logging.test.ts
      // checks those lines itself.
      onConsoleLog: (log: string) => !log.includes('"msg":"request"'),
    },
  };
});
