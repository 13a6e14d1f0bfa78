import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { RateLimiter } from "../src/durable-objects/rate-limiter.ts";

const stubOf = (name: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));

it("decides through RPC and keeps its state in storage", async () => {
  const stub = stubOf("test:object");
  const rule = { limit: 2, windowMs: 60_000 };
  expect(await stub.take(rule)).toMatchObject({ allowed: true, remaining: 1 });
  expect(await stub.take(rule)).toMatchObject({ allowed: true, remaining: 0 });
  expect(await stub.take(rule)).toMatchObject({ allowed: false, remaining: 0 });
  await runInDurableObject(stub, (_: RateLimiter, state) => {
    expect(state.storage.kv.get("buckets")).toMatchObject({ windowMs: 60_000 });
  });
});

it("deletes its data with an alarm once the window has passed", async () => {
  const stub = stubOf("test:cleanup");
  const rule = { limit: 5, windowMs: 60 };
  await stub.take(rule);
  const alarm = await runInDurableObject(stub, (_: RateLimiter, state) => state.storage.getAlarm());
  expect(alarm).not.toBeNull();
  await new Promise((resolve) => setTimeout(resolve, 200));
  // The alarm may already have fired on its own; run it now if it has not.
  await runDurableObjectAlarm(stub);
  await runInDurableObject(stub, async (_: RateLimiter, state) => {
    expect(state.storage.kv.get("buckets")).toBeUndefined();
    expect(await state.storage.getAlarm()).toBeNull();
  });
  // A fresh start after the cleanup.
  expect(await stub.take(rule)).toMatchObject({ allowed: true, remaining: 4 });
});
