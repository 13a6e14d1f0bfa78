import { env } from "cloudflare:workers";
import { StorageError } from "@miaobu/storage";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";

function appThrowing(error: Error) {
  const app = createApp();
  app.get("/boom", () => {
    throw error;
  });
  return app;
}

describe("storage failures", () => {
  it("answer 503 when the store is unavailable, so clients retry", async () => {
    const app = appThrowing(new StorageError("unavailable", "S3 put failed: HTTP 500 InternalError", 500));
    const res = await app.request("/boom", {}, env);
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("2");
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    const body = await res.json<{ code: string; detail: string }>();
    expect(body.code).toBe("unavailable");
    expect(body.detail).toMatch(/file store/);
    expect(body.detail).not.toMatch(/S3|InternalError/);
  });

  it("answer 500 without details when the store refuses the platform's credentials", async () => {
    const app = appThrowing(
      new StorageError("unauthorized", "S3 get failed: HTTP 403 SignatureDoesNotMatch", 403),
    );
    const res = await app.request("/boom", {}, env);
    expect(res.status).toBe(500);
    const body = await res.json<{ code: string; detail?: string }>();
    expect(body.code).toBe("internal");
    expect(JSON.stringify(body)).not.toMatch(/Signature/);
  });
});
