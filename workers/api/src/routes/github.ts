import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { base64url } from "../lib/crypto.ts";
import { timingSafeEqualText } from "../lib/secrets.ts";
import { requireAuth } from "../middleware/auth.ts";
import { linkGitHub, requireGitHub, signInWithGitHub } from "../services/github/accounts.ts";
import { exchangeCode, GitHubClient } from "../services/github/client.ts";
import { setSessionCookie } from "../services/sessions/cookie.ts";
import { createSession } from "../services/sessions/session.ts";
import { validate } from "../validation.ts";

const STATE_COOKIE = "miaobu_github_oauth";
const STATE_PATH = "/api/v1/auth/github";
const STATE_TTL_SECONDS = 600;
// `repo`: private repositories, commit statuses, comments and repository webhooks; `read:org`: organization
// repositories; `user:email`: the verified email of a new account.
const OAUTH_SCOPES = "repo read:org user:email";

/** Only a path on this origin: `/projects`, never `//evil.example` or `https://…`. */
const returnPath = z
  .string()
  .max(500)
  .regex(/^\/(?![/\\])[^\s]*$/, "a path on this site")
  .default("/");

export const startQuery = z.object({ link: z.enum(["0", "1"]).default("0"), returnTo: returnPath });
export const callbackQuery = z.object({
  code: z.string().max(200).optional(),
  state: z.string().max(200).optional(),
  error: z.string().max(200).optional(),
});

function redirectUri(requestUrl: string): string {
  return `${new URL(requestUrl).origin}${STATE_PATH}/callback`;
}

function withParam(path: string, name: string, value: string): string {
  const url = new URL(path, "http://x");
  url.searchParams.set(name, value);
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * `/api/v1/auth/github`: GitHub OAuth sign-in and linking. `start` redirects to GitHub with a random
 * `state` that is also kept in a short-lived signed cookie; `callback` accepts only that state from that
 * browser, exchanges the code, then signs in (a session cookie) or links GitHub to the signed-in user.
 */
export const githubAuthRoutes = new Hono<AppEnv>()
  .get("/start", validate("query", startQuery), async (c) => {
    const deps = c.get("deps");
    const github = requireGitHub(deps);
    const { link, returnTo } = c.req.valid("query");
    let linkUserId: string | null = null;
    if (link === "1") {
      await requireAuth(c, async () => {});
      linkUserId = c.get("user").id;
    }
    const state = base64url(crypto.getRandomValues(new Uint8Array(24)));
    const sealed = await new SignJWT({ state, link: linkUserId, returnTo })
      .setProtectedHeader({ alg: "HS256" })
      .setAudience("miaobu-github-oauth")
      .setExpirationTime(Math.floor(deps.now() / 1000) + STATE_TTL_SECONDS)
      .sign(deps.config.keys.sessionKey);
    setCookie(c, STATE_COOKIE, sealed, {
      httpOnly: true,
      sameSite: "Lax",
      path: STATE_PATH,
      secure: new URL(c.req.url).protocol === "https:",
      maxAge: STATE_TTL_SECONDS,
    });
    const authorize = new URL(`${github.url}/login/oauth/authorize`);
    authorize.searchParams.set("client_id", github.clientId);
    authorize.searchParams.set("redirect_uri", redirectUri(c.req.url));
    authorize.searchParams.set("scope", OAUTH_SCOPES);
    authorize.searchParams.set("state", state);
    authorize.searchParams.set("allow_signup", "true");
    return c.redirect(authorize.toString(), 302);
  })
  .get("/callback", validate("query", callbackQuery), async (c) => {
    const deps = c.get("deps");
    const github = requireGitHub(deps);
    const { code, state, error } = c.req.valid("query");
    const sealed = getCookie(c, STATE_COOKIE);
    deleteCookie(c, STATE_COOKIE, { path: STATE_PATH });
    const claims = sealed
      ? await jwtVerify(sealed, deps.config.keys.sessionKey, {
          algorithms: ["HS256"],
          audience: "miaobu-github-oauth",
          currentDate: new Date(deps.now()),
        }).catch(() => null)
      : null;
    const expected = claims?.payload.state;
    if (typeof expected !== "string" || !state || !timingSafeEqualText(expected, state)) {
      throw new ApiError("bad_request", "The GitHub sign-in expired or did not start here; start it again.");
    }
    const rawReturn = claims?.payload.returnTo;
    const returnTo =
      typeof rawReturn === "string" && returnPath.safeParse(rawReturn).success ? rawReturn : "/";
    const linkUserId = claims?.payload.link;
    if (error || !code) return c.redirect(withParam(returnTo, "github_error", "access_denied"), 302);
    try {
      const token = await exchangeCode(github, code, redirectUri(c.req.url));
      const client = new GitHubClient(github, token);
      const account = await client.user().catch(() => {
        throw new ApiError("bad_gateway", "GitHub did not say who signed in.");
      });
      if (typeof linkUserId === "string") {
        await linkGitHub(deps, linkUserId, account, token);
        return c.redirect(withParam(returnTo, "github", "linked"), 302);
      }
      const user = await signInWithGitHub(deps, client, account, token);
      const session = await createSession(deps, user.id);
      setSessionCookie(c, session.jwt, session.expiresAt);
      return c.redirect(returnTo, 302);
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      return c.redirect(withParam(returnTo, "github_error", failure.code), 302);
    }
  });
