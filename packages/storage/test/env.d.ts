declare namespace Cloudflare {
  interface Env {
    BUCKET: R2Bucket;
    /** JSON of `TestStoreInfo` (test/support/store-server.ts) for the S3 server on loopback. */
    TEST_S3: string;
    /** JSON of `TestStoreInfo` for the OSS server on loopback. */
    TEST_OSS: string;
  }
}
