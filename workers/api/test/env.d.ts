declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    GITHUB_CLIENT_ID: string;
    GITHUB_WEBHOOK_SECRET: string;
    GITHUB_API_URL: string;
    GITHUB_EXAMPLES: Record<string, Record<string, unknown>[]>;
    TEST_DNS_MANAGEMENT_URL: string;
    TEST_CLOUDFLARE_API_URL: string;
  }
}
