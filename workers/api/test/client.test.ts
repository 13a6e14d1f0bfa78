import { exports } from "cloudflare:workers";
import { hc } from "hono/client";
import { expect, it } from "vitest";
import type { AppType } from "../src/index.ts";
import { newUser, uniqueName } from "./helpers.ts";

it("AppType drives a typed client through the Worker's own fetch", async () => {
  const { token } = await newUser();
  const client = hc<AppType>("http://localhost", {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(input, init),
    headers: { Authorization: `Bearer ${token}` },
  });
  const name = uniqueName();
  const created = await client.api.v1.projects.$post({ json: { name } });
  expect(created.status).toBe(201);
  const listed = await client.api.v1.projects.$get({ query: {} });
  const body = await listed.json();
  expect(body.projects.map((p) => p.name)).toEqual([name]);
});
