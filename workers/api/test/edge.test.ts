import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { consoleOriginsOf, isConsoleOrigin } from "../src/services/sessions/origin.ts";
import { api, createUser, expectProblem, PASSWORD } from "./helpers.ts";
import { freshIp, limitedApi } from "./rate-limit-support.ts";

/** A request as workerd hands it over for a raw `Host` header it could not make a valid URL of. */
function withRawHost(host: string, path = "/api/v1/openapi.json"): Request {
  const request = new Request(`http://localhost${path}`, { headers: { host } });
  Object.defineProperty(request, "url", { value: `http://${host}${path}` });
  return request;
}

describe("the client's address", () => {
  it("is not taken from a client's CF-Connecting-IP on the local platform", async () => {
    const call = limitedApi({ login: "2/1m" }, undefined, { MIAOBU_TRUST_CF_CONNECTING_IP: "false" });
    const attempt = (ip: string) =>
      call("/api/v1/auth/login", { ip, json: { email: "nobody@example.com", password: "guess" } });
    expect((await attempt(freshIp())).status).toBe(401);
    expect((await attempt(freshIp())).status).toBe(401);
    // A third address made up by the client buys no fresh quota.
    await expectProblem(await attempt(freshIp()), 429, "rate_limited");
  });

  it("is CF-Connecting-IP where Cloudflare sets it", async () => {
    const call = limitedApi({ login: "1/1m" }, undefined, { MIAOBU_TRUST_CF_CONNECTING_IP: "true" });
    const attempt = (ip: string) =>
      call("/api/v1/auth/login", { ip, json: { email: "nobody@example.com", password: "guess" } });
    const ip = freshIp();
    expect((await attempt(ip)).status).toBe(401);
    await expectProblem(await attempt(ip), 429, "rate_limited");
    expect((await attempt(freshIp())).status).toBe(401);
  });
});

describe("a malformed Host", () => {
  it.each(["x:abc", "%00", "a:1:2", "a, b", "a/b", "[::1", "x.localhost:99999"])(
    "%j is a 400 problem, never a 500 with a stack",
    async (host) => {
      const error = vi.spyOn(console, "error");
      const ctx = createExecutionContext();
      const res = await worker.fetch(withRawHost(host), env, ctx);
      await waitOnExecutionContext(ctx);
      const problem = await expectProblem(res, 400, "bad_request");
      expect(problem.detail).toMatch(/Host/);
      expect(error).not.toHaveBeenCalled();
      error.mockRestore();
    },
  );
});

describe("cookie-authenticated writes", () => {
  async function session(): Promise<string> {
    const user = await createUser();
    const res = await api("/api/v1/auth/session", { json: { email: user.email, password: PASSWORD } });
    expect(res.status).toBe(201);
    return (res.headers.get("Set-Cookie") ?? "").split(";")[0] ?? "";
  }

  it("compare Origin with the configured console origin, not with the request's own Host", async () => {
    const cookie = await session();
    const ctx = createExecutionContext();
    // A page on a rebound name sends its own origin to its own Host: same-origin, but not the console.
    const res = await worker.fetch(
      new Request("http://rebound.example:8787/api/v1/projects", {
        method: "POST",
        headers: {
          Cookie: cookie,
          Origin: "http://rebound.example:8787",
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ name: "rebound" }),
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    await expectProblem(res, 403, "forbidden");
  });

  it("accept the console origin and its loopback spellings only", () => {
    const origins = consoleOriginsOf("", "http://127.0.0.1:8787");
    expect(isConsoleOrigin(origins, "http://127.0.0.1:8787")).toBe(true);
    expect(isConsoleOrigin(origins, "http://localhost:8787")).toBe(true);
    expect(isConsoleOrigin(origins, "http://[::1]:8787")).toBe(true);
    // A site of the local platform, another port of the same machine.
    expect(isConsoleOrigin(origins, "http://localhost:8788")).toBe(false);
    expect(isConsoleOrigin(origins, "http://site.localhost:8787")).toBe(false);
    expect(isConsoleOrigin(origins, "https://localhost:8787")).toBe(false);
    const everywhere = consoleOriginsOf("", "http://0.0.0.0:8787");
    expect(isConsoleOrigin(everywhere, "http://localhost:8787")).toBe(true);
    const production = consoleOriginsOf("https://console.example.com", "https://api.example.com");
    expect(isConsoleOrigin(production, "https://console.example.com")).toBe(true);
    expect(isConsoleOrigin(production, "https://api.example.com")).toBe(true);
    expect(isConsoleOrigin(production, "http://localhost:8787")).toBe(false);
  });
});
