import { sql } from "drizzle-orm";
import { Hono } from "hono";
import packageJson from "../../package.json";
import type { AppEnv } from "../env.ts";

/** The API's version, as its package states it. */
export const VERSION: string = packageJson.version;

const CHECK_TIMEOUT_MS = 3_000;

/** One dependency's answer for `/readyz`. */
export interface Check {
  ok: boolean;
  ms: number;
  error?: string;
}

async function timed(run: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, ms: Date.now() - started };
  } catch (error) {
    // The probe is public: say which dependency failed, not how.
    console.error(JSON.stringify({ level: "error", msg: "readiness check failed", error: String(error) }));
    return { ok: false, ms: Date.now() - started, error: "no answer" };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * `/healthz`: the Worker runs (liveness; touches nothing). `/readyz`: D1, storage and Durable Objects each
 * answered, with how long each took, and the version; 503 when one did not.
 */
export const healthRoutes = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ status: "ok" as const }))
  .get("/readyz", async (c) => {
    const { db, storage } = c.get("deps");
    const limiter = c.env.RATE_LIMITER;
    const [d1, r2, durableObjects] = await Promise.all([
      timed(() => db.run(sql`select 1`)),
      timed(() => storage.head("readyz")),
      timed(() => limiter.get(limiter.idFromName("readyz")).ping()),
    ]);
    const ok = d1.ok && r2.ok && durableObjects.ok;
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        status: ok ? ("ok" as const) : ("unavailable" as const),
        version: VERSION,
        checks: { d1, storage: r2, durableObjects },
      },
      ok ? 200 : 503,
    );
  });
