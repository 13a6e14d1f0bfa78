import { randomBase32 } from "@miaobu/shared";
import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { depsOf } from "./deps.ts";
import type { AppEnv } from "./env.ts";
import { onError, onNotFound } from "./errors.ts";
import { validHost } from "./middleware/host.ts";

// Always our own id: a client-chosen one could collide with another request's in the logs.
const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = `req_${randomBase32(20)}`;
  c.set("requestId", id);
  c.header("X-Request-Id", id);
  await next();
});

/** The request's waitUntil; Hono throws when a test calls the app without an execution context. */
function waitUntilOf(c: Context<AppEnv>): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return undefined;
  }
}

const deps = createMiddleware<AppEnv>(async (c, next) => {
  c.set("deps", depsOf(c.env, waitUntilOf(c)));
  await next();
});

/**
 * A Hono app with the request id, the Host check, the service dependencies and the problem+json error
 * handling.
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId, validHost, deps);
  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}
