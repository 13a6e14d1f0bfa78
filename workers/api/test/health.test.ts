import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { api, expectProblem } from "./helpers.ts";

it("answers healthz once the database answers", async () => {
  const res = await exports.default.fetch("http://localhost/healthz");
  expect(res.status).toBe(200);
  expect(res.headers.get("X-Request-Id")).toMatch(/^req_[0-9a-z]{20}$/);
  expect(await res.json()).toEqual({ status: "ok" });
});

it("answers an unknown route with a problem+json 404", async () => {
  const body = await expectProblem(await api("/api/v1/nope"), 404, "not_found");
  expect(body.type).toBe("https://miaobu.dev/problems/not_found");
  expect(body.title).toBe("Not found");
});

it("ignores a client-chosen request id", async () => {
  const res = await api("/healthz", { headers: { "X-Request-Id": "mine" } });
  expect(res.headers.get("X-Request-Id")).not.toBe("mine");
});
