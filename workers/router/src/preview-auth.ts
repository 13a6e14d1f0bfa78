import { hasControlCharacter } from "@miaobu/rules";
import { verifyPassword } from "@miaobu/shared";
import { LOGIN_PATH, loginPage } from "./login-page.ts";
import { admitGuess, type PreviewLimits } from "./preview-limit.ts";

export { LOGIN_PATH };
export const COOKIE_NAME = "__miaobu_preview";
const MAX_FORM_BYTES = 4096;
const encoder = new TextEncoder();

/** Signs and checks preview-login cookies with an HMAC key from a secret, imported once per isolate. */
export class PreviewSessions {
  readonly #key: Promise<CryptoKey> | null;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(secret: string, ttlSeconds: number, now: () => number = Date.now) {
    this.#key =
      secret === ""
        ? null
        : crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
            "sign",
            "verify",
          ]);
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  // The password hash is signed too, so changing or removing the password ends every session.
  #payload(host: string, expires: number, passwordHash: string): Uint8Array {
    return encoder.encode(`${host}\n${expires}\n${passwordHash}`);
  }

  /** A cookie value for `host`: `expires.signature`. */
  async issue(host: string, passwordHash: string): Promise<{ value: string; maxAge: number } | null> {
    if (!this.#key) return null;
    const expires = Math.floor(this.#now() / 1000) + this.#ttlSeconds;
    const mac = await crypto.subtle.sign("HMAC", await this.#key, this.#payload(host, expires, passwordHash));
    return { value: `${expires}.${toBase64Url(new Uint8Array(mac))}`, maxAge: this.#ttlSeconds };
  }

  /** True when the request carries an unexpired cookie signed for this host and password. */
  async verify(cookieHeader: string | null, host: string, passwordHash: string): Promise<boolean> {
    if (!this.#key || cookieHeader === null) return false;
    const value = readCookie(cookieHeader, COOKIE_NAME);
    const match = value === null ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match) return false;
    const expires = Number(match[1]);
    if (expires * 1000 <= this.#now()) return false;
    const signature = fromBase64Url(match[2] ?? "");
    // crypto.subtle.verify compares in constant time.
    return crypto.subtle.verify(
      "HMAC",
      await this.#key,
      signature,
      this.#payload(host, expires, passwordHash),
    );
  }
}

function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** One cookie's value from a `Cookie` header, or null. */
export function readCookie(header: string, name: string): string | null {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Where to go after logging in: a path of this site only, never another host (`//…`, `/\…`). */
export function safeNext(next: string | null): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return hasControlCharacter(next) ? "/" : next;
}

/**
 * Guards a password-protected preview host. Returns the response to send instead of the site (the login
 * form, or the outcome of submitting it), or null when the visitor is logged in.
 */
export async function guardPreview(
  request: Request,
  url: URL,
  host: string,
  passwordHash: string,
  sessions: PreviewSessions,
  limits: PreviewLimits,
): Promise<Response | null> {
  if (url.pathname === LOGIN_PATH && request.method === "POST") {
    return handleLogin(request, url, host, passwordHash, sessions, limits);
  }
  if (await sessions.verify(request.headers.get("cookie"), host, passwordHash)) {
    return url.pathname === LOGIN_PATH ? redirect(safeNext(url.searchParams.get("next"))) : null;
  }
  const next =
    url.pathname === LOGIN_PATH ? safeNext(url.searchParams.get("next")) : `${url.pathname}${url.search}`;
  return loginPage(401, next, null);
}

async function handleLogin(
  request: Request,
  url: URL,
  host: string,
  passwordHash: string,
  sessions: PreviewSessions,
  limits: PreviewLimits,
): Promise<Response> {
  const length = Number(request.headers.get("content-length") ?? "0");
  const type = request.headers.get("content-type") ?? "";
  if (length > MAX_FORM_BYTES || !type.startsWith("application/x-www-form-urlencoded")) {
    return loginPage(400, "/", "The form could not be read. Try again.");
  }
  const body = await request.text();
  if (body.length > MAX_FORM_BYTES) return loginPage(400, "/", "The form could not be read. Try again.");
  const form = new URLSearchParams(body);
  const next = safeNext(form.get("next") ?? url.searchParams.get("next"));
  const password = form.get("password") ?? "";
  const guess = await admitGuess(limits, request, host).catch((error: unknown) => {
    console.error("router: preview lockout failed; refusing the guess", String(error));
    return null;
  });
  if (!guess) return loginPage(503, next, "Logging in is unavailable for a moment. Try again shortly.");
  if (!guess.allowed) {
    const seconds = guess.retryAfterSeconds;
    const page = loginPage(429, next, `Too many attempts. Try again in ${seconds} seconds.`);
    page.headers.set("retry-after", String(seconds));
    return page;
  }
  if (password === "" || !(await verifyPassword(password, passwordHash))) {
    return loginPage(401, next, "Wrong password.");
  }
  // Forgetting the guesses is bookkeeping: the visitor gave the right password either way.
  await guess.succeed().catch((error: unknown) => {
    console.error("router: preview lockout reset failed", String(error));
  });
  const cookie = await sessions.issue(host, passwordHash);
  if (!cookie) return loginPage(503, next, "Logging in is not configured on this platform.");
  const secure = url.protocol === "https:" ? "; Secure" : "";
  const response = redirect(next);
  response.headers.set(
    "set-cookie",
    `${COOKIE_NAME}=${cookie.value}; Path=/; Max-Age=${cookie.maxAge}; HttpOnly; SameSite=Lax${secure}`,
  );
  return response;
}

function redirect(location: string): Response {
  return new Response(null, {
    status: 303,
    headers: { location, "cache-control": "no-store", "x-robots-tag": "noindex" },
  });
}
