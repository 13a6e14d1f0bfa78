import { expect, it } from "vitest";
import packageJson from "../package.json";
import { api } from "./helpers.ts";

it("answers readyz with each dependency's timing and the version", async () => {
  const res = await api("/readyz");
  expect(res.status).toBe(200);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  const body = await res.json<{
    status: string;
    version: string;
    checks: Record<string, { ok: boolean; ms: number }>;
  }>();
  expect(body.status).toBe("ok");
  expect(body.version).toBe(packageJson.version);
  expect(Object.keys(body.checks).sort()).toEqual(["d1", "durableObjects", "storage"]);
  for (const check of Object.values(body.checks)) {
    expect(check.ok).toBe(true);
    expect(check.ms).toBeGreaterThanOrEqual(0);
  }
});

it("answers healthz without touching a dependency", async () => {
  const res = await api("/healthz");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});
