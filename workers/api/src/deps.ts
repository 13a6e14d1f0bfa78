import { storageOf } from "@miaobu/storage";
import { drizzle } from "drizzle-orm/d1";
import { configOf, type Deps } from "./env.ts";
import { routeEventsOf } from "./services/route-events/notifiers.ts";

/**
 * The services' dependencies, built the one way every entry uses: once per request (app.ts), per cron run
 * (scheduled.ts) and per Durable Object instance (project-coordinator.ts).
 */
export function depsOf(
  env: Env,
  waitUntil?: (promise: Promise<unknown>) => void,
  now: () => number = Date.now,
): Deps {
  return {
    db: drizzle(env.DB),
    storage: storageOf(env),
    now,
    config: configOf(env),
    routeEvents: routeEventsOf(env, waitUntil),
  };
}
