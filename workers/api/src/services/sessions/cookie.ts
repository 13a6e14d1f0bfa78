import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
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
 * browsers open across origins) must come from the API's own origin, where the console is served: the
 * `Origin` header, or `Sec-Fetch-Site: same-origin` when a browser sends no `Origin`.
 */
export function requireSameOrigin(c: Context<AppEnv>): void {
  const own = new URL(c.req.url).origin;
  const origin = c.req.header("Origin");
  if (origin !== undefined && origin !== "null") {
    if (origin === own) return;
  } else if (c.req.header("Sec-Fetch-Site") === "same-origin") {
    return;
  }
  throw new ApiError(
    "forbidden",
    "A request authenticated by the session cookie must come from the console's origin; send an API token instead.",
  );
}
