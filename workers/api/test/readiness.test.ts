import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { hashPassword, newId } from "@miaobu/shared";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import packageJson from "../package.json";
import worker from "../src/index.ts";
import { LATEST_MIGRATION } from "../src/services/readiness/check.ts";
import { api, expectProblem, PASSWORD } from "./helpers.ts";

// The migration files as the test setup applied them (vitest.config.ts reads the folder).
const MIGRATION_FILES = env.TEST_MIGRATIONS.map((m) => m.name);

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

describe("until the database is ready", () => {
  const ADMIN = () => `admin-${crypto.randomUUID()}@localhost`;

  async function call(vars: Record<string, string>, path: string, init: RequestInit = {}) {
    const testEnv: Env = Object.assign({}, env, vars);
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`http://localhost${path}`, init), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("answers 503 with Retry-After to everything but /healthz until the administrator exists", async () => {
    const admin = ADMIN();
    const vars = { MIAOBU_READY_ADMIN_EMAIL: admin };
    const login = { method: "POST", headers: { "Content-Type": "application/json" } };
    const body = JSON.stringify({ email: admin, password: PASSWORD });
    const early = await call(vars, "/api/v1/auth/login", { ...login, body });
    const problem = await expectProblem(early, 503, "unavailable");
    expect(problem.detail).toMatch(/starting/);
    expect(Number(early.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    const readyz = await call(vars, "/readyz");
    expect(readyz.status).toBe(503);
    expect(readyz.headers.get("Retry-After")).not.toBeNull();
    expect((await call(vars, "/healthz")).status).toBe(200);

    await env.DB.prepare(
      "insert into users (id, email, name, password_hash, is_admin, created_at) values (?, ?, ?, ?, 1, ?)",
    )
      .bind(newId("user"), admin, "Administrator", await hashPassword(PASSWORD), Date.now())
      .run();
    expect((await call(vars, "/api/v1/auth/login", { ...login, body })).status).toBe(201);
    expect((await call(vars, "/readyz")).status).toBe(200);
  });

  it("needs the newest migration recorded", async () => {
    const { databaseReady } = await import("../src/services/readiness/check.ts");
    const db = drizzle(env.DB);
    expect(await databaseReady(db, { migration: LATEST_MIGRATION, adminEmail: "" })).toBe(true);
    expect(await databaseReady(db, { migration: "9999_future.sql", adminEmail: "" })).toBe(false);
    expect(await databaseReady(db, { migration: LATEST_MIGRATION, adminEmail: ADMIN() })).toBe(false);
  });

  it("names the newest migration file", async () => {
    expect(LATEST_MIGRATION).toBe(MIGRATION_FILES.at(-1));
  });
});
