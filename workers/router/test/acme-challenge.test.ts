import { env, exports } from "cloudflare:workers";
import { newId } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { createProject, uniqueSlug } from "./seed.ts";

async function pendingOrder(hostname: string, token: string, response: string) {
  const projectId = await createProject(uniqueSlug("acme"));
  const domainId = newId("domain");
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO domains (id, project_id, hostname, verification_token, status, created_at, updated_at)
       VALUES (?, ?, ?, 'x', 'verified', ?, ?)`,
    ).bind(domainId, projectId, hostname, now, now),
    env.DB.prepare(
      `INSERT INTO certificates (domain_id, hostname, provider, status, challenge_token, challenge_response,
       created_at, updated_at) VALUES (?, ?, 'acme', 'pending', ?, ?, ?, ?)`,
    ).bind(domainId, hostname, token, response, now, now),
  ]);
}

const get = (url: string) => exports.default.fetch(new Request(url));

describe("ACME http-01 challenges", () => {
  it("answers the key authorization of a pending order, for that host and token only", async () => {
    await pendingOrder("www.acme-test.example", "tok_abc-123", "tok_abc-123.thumbprint");
    const res = await get("http://www.acme-test.example/.well-known/acme-challenge/tok_abc-123");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("tok_abc-123.thumbprint");

    const otherToken = await get("http://www.acme-test.example/.well-known/acme-challenge/nope");
    expect(otherToken.status).toBe(404);
    const otherHost = await get("http://other.acme-test.example/.well-known/acme-challenge/tok_abc-123");
    expect(otherHost.status).toBe(404);
  });
});
