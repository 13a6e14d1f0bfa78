import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { startOssTestServer } from "../../test/support/oss-server.ts";
import { startS3TestServer } from "../../test/support/s3-server.ts";

// R2 in workerd; the S3 and OSS backends' signed fetch run here too, against servers on loopback: s3rver
// behind a proxy that can break an upload, and our own OSS server that checks OSS signatures.
export default defineConfig(async () => {
  const s3 = await startS3TestServer();
  const oss = await startOssTestServer();
  return {
    plugins: [
      cloudflareTest({
        miniflare: {
          compatibilityDate: "2026-11-01",
          compatibilityFlags: ["nodejs_compat"],
          r2Buckets: ["BUCKET"],
          bindings: { TEST_S3: JSON.stringify(s3.info), TEST_OSS: JSON.stringify(oss.info) },
        },
      }),
    ],
  };
});
