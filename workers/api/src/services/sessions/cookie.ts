import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { isConsoleOrigin } from "./origin.ts";
import { SESSION_COOKIE } from "./session.ts";

/** Whether the API was reached over https, so cookies get `Secure`. */
function isHttps(c: Context<AppEnv>): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Path=/, Secure over https. */
export function setSessionCookie(c: Context<AppEnv>, jwt: string, expiresAt: number): void {
  setCookie(c, SESSION_COOKIE, jwt, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: isHttps(c),
    expires: new Date(expiresAt),
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", httpOnly: true, sameSite: "Lax", secure: isHttps(c) });
}

/** The session cookie's value, if any. */
export function sessionCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/**
 * Cookies ride along on requests other sites make, so a cookie-authenticated write (or WebSocket, which
 * browsers open across origins) must come from the console: an `Origin` among the configured console
 * origins (never compared with the request's own Host, which a rebound DNS name controls), or
 * `Sec-Fetch-Site: same-origin` without an `Origin` when this request's own origin is the console's.
 */
export function requireSameOrigin(c: Context<AppEnv>): void {
  const origins = c.get("deps").config.edge.consoleOrigins;
  const origin = c.req.header("Origin");
  if (origin !== undefined && origin !== "null") {
    if (isConsoleOrigin(origins, origin)) return;
  } else if (
    c.req.header("Sec-Fetch-Site") === "same-origin" &&
    isConsoleOrigin(origins, new URL(c.req.url).origin)
  ) {
    return;
  }
  throw new ApiError(
    "forbidden",
    "A request authenticated by the session cookie must come from the console's origin; send an API token instead.",
  );
}
