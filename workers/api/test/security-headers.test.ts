import { describe, expect, it, vi } from "vitest";
import headersFile from "../../../web/public/_headers?raw";
import { CONSOLE_CSP, HSTS } from "../src/middleware/security-headers.ts";
import { api, expectProblem, newUser } from "./helpers.ts";

describe("security headers", () => {
  it.each(["/healthz", "/api/v1/nope", "/api/v1/openapi.json"])("are on every answer: %s", async (path) => {
    const res = await api(path);
    expect(res.headers.get("Strict-Transport-Security")).toBe(HSTS);
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Referrer-Policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("Content-Security-Policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it("are sent with the console's files, with the console's CSP", () => {
    expect(headersFile).toContain(`Content-Security-Policy: ${CONSOLE_CSP}\n`);
    expect(headersFile).toContain(`Strict-Transport-Security: ${HSTS}\n`);
    expect(headersFile).toMatch(/X-Frame-Options: DENY/);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });
});

describe("CORS", () => {
  it("allows the console's own origin, with credentials", async () => {
    const res = await api("/api/v1/projects", {
      method: "OPTIONS",
      headers: { Origin: "http://localhost", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost");
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    const { token } = await newUser();
    const get = await api("/api/v1/me", { token, headers: { Origin: "http://localhost" } });
    expect(get.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost");
    expect(get.headers.get("Access-Control-Expose-Headers")).toMatch(/RateLimit-Remaining/);
  });

  it("gives any other origin nothing", async () => {
    for (const origin of ["https://evil.example", "http://localhost.evil.example", "null"]) {
      const preflight = await api("/api/v1/projects", {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });
      expect(preflight.headers.get("Access-Control-Allow-Origin")).toBeNull();
      const { token } = await newUser();
      const get = await api("/api/v1/me", { token, headers: { Origin: origin } });
      expect(get.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });
});

describe("request logs", () => {
  it("write one JSON line per request, without the path, secrets or tokens", async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const user = await newUser();
    await api("/api/v1/me", { token: user.token });
    await api("/api/v1/hooks/deploy/mbh_secretsecretsecret?branch=x", { method: "POST" });
    log.mockRestore();
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const me = entries.find((e) => e.route === "/api/v1/me");
    expect(me).toMatchObject({ level: "info", msg: "request", method: "GET", status: 200, userId: user.id });
    expect(me?.requestId).toMatch(/^req_/);
    expect(typeof me?.durationMs).toBe("number");
    const hook = entries.find((e) => e.route === "/api/v1/hooks/deploy/:secret");
    expect(hook).toMatchObject({ status: 404, userId: null });
    const all = lines.join("\n");
    expect(all).not.toContain(user.token);
    expect(all).not.toContain("mbh_secretsecretsecret");
  });
});

describe("input limits", () => {
  it("refuses a declared body past the route's ceiling before reading it", async () => {
    const { token } = await newUser();
    const res = await api("/api/v1/projects/x/deploy-hook", {
      method: "POST",
      token,
      body: "x".repeat(2 * 1024 * 1024),
    });
    await expectProblem(res, 413, "payload_too_large");
  });

  it("names the body as the field at fault for malformed JSON", async () => {
    const { token } = await newUser();
    const res = await api("/api/v1/projects", {
      token,
      body: '{"name": "a",',
      headers: { "Content-Type": "application/json" },
    });
    const problem = await expectProblem(res, 400, "bad_request");
    expect(problem.errors?.[0]?.field).toBe("(body)");
  });
});
