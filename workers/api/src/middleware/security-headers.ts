import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { isConsoleOrigin } from "../services/sessions/origin.ts";

/** HSTS for two years, subdomains included: every generated host is one label under the base domain. */
export const HSTS = "max-age=63072000; includeSubDomains";

/**
 * The console's Content-Security-Policy: its own scripts and styles only, no inline script, no framing,
 * API calls and the build-log WebSocket to its own origin, avatars from GitHub. `web/public/_headers` sends
 * the same value with the console's files (a test keeps the two equal).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https://avatars.githubusercontent.com",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self' https://github.com",
  "frame-ancestors 'none'",
].join("; ");

/** What the API's own answers (JSON, problem+json, text) may do in a browser: nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

const COMMON: Record<string, string> = {
  "Strict-Transport-Security": HSTS,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/**
 * Security headers on every answer of the Worker. A route that serves HTML (the API reference) sets its own
 * Content-Security-Policy, which is kept.
 */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  // A WebSocket upgrade's headers are not ours to change.
  if (c.res.status === 101) return;
  for (const [name, value] of Object.entries(COMMON)) c.res.headers.set(name, value);
  if (!c.res.headers.has("Content-Security-Policy")) c.res.headers.set("Content-Security-Policy", API_CSP);
});

/** CORS for the console's origins only (config.edge.consoleOrigins): any other origin gets no `Access-Control-Allow-*` header. */
export const consoleCors = cors({
  origin: (origin, c: Context<AppEnv>) =>
    isConsoleOrigin(c.get("deps").config.edge.consoleOrigins, origin) ? origin : null,
  credentials: true,
  allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  allowHeaders: ["Authorization", "Content-Type"],
  exposeHeaders: [
    "X-Request-Id",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Retry-After",
    "X-Deployment-Status",
  ],
  maxAge: 600,
});
