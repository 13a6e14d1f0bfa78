import { clientAddress } from "@miaobu/edge";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError, problem } from "../errors.ts";
import { sha256Hex } from "../lib/crypto.ts";
import type { TriggerGate } from "../services/builds/trigger.ts";
import { type Limiter, limiterOf, type RateLimitResult } from "../services/ratelimit/limiter.ts";
import {
  describeRule,
  type Policies,
  type Policy,
  policiesOf,
  policyHeader,
} from "../services/ratelimit/policies.ts";
import { declaredId, declaredPolicy } from "./declared.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The decision the `RateLimit-*` headers describe: the one with the least quota left. */
    rateLimit: RateLimitResult;
  }
}

/** Where the policies and the limiter come from; tests pass low limits or a failing limiter. */
export interface RateLimitOptions {
  policies?: (env: Env) => Policies;
  limiter?: (env: Env) => Limiter;
}

// Routes declared in the contract (packages/contract) name their policy; the rest are found by path here.
// Probes must answer even for a client that has used up its quota.
export const EXEMPT = new Set(["/healthz", "/readyz"]);
// Credential-checking routes that take no credential: limited per IP, tightly.
export const LOGIN = /^\/api\/v1\/auth\/(?!logout$)[^/]+$/;
// Uploads of blobs and downloads of a deployment's files: many small requests per deployment.
export const BLOBS = /^\/api\/v1\/deployments\/([^/]+)\/(?:blobs(?:\/[^/]+)?|files\/[^/]+)$/;
// A build's log batches: sent as lines arrive, far more often than anything the `api` quota is for.
export const LOGS = /^\/api\/v1\/builds\/([^/]+)\/logs$/;

/** The per-deployment policy of a route not declared yet, from the path lists. */
function undeclaredPerDeployment(
  c: Context<AppEnv>,
): { policy: "blobs" | "logs"; id: string | undefined } | null {
  const blobs = BLOBS.exec(c.req.path);
  if (blobs) return { policy: "blobs", id: blobs[1] };
  const logs = c.req.method === "POST" ? LOGS.exec(c.req.path) : null;
  return logs ? { policy: "logs", id: logs[1] } : null;
}

/** The client's address: `CF-Connecting-IP` on Cloudflare, one shared identity on the local platform. */
export function clientIp(c: Context<AppEnv>): string {
  return clientAddress(c.req.raw, c.get("deps").config.edge.trustCfConnectingIp);
}

/** The credential a request carries (API token, callback token or session cookie), if any. */
function credentialOf(c: Context<AppEnv>): string | null {
  const authorization = c.req.header("Authorization");
  if (authorization) return authorization;
  const cookie = c.req.header("Cookie");
  if (cookie) return cookie;
  // Browsers cannot set headers on a WebSocket, so the log socket takes its token in the query.
  return (c.req.path.endsWith("/logs/ws") && c.req.query("token")) || null;
}

function record(c: Context<AppEnv>, result: RateLimitResult): void {
  if (result.degraded) return;
  const previous = c.get("rateLimit");
  const tighter = (a: RateLimitResult, b: RateLimitResult) => a.remaining / a.limit < b.remaining / b.limit;
  if (!previous || (previous.allowed && (!result.allowed || tighter(result, previous)))) {
    c.set("rateLimit", result);
  }
}

function applyHeaders(res: Response, result: RateLimitResult): void {
  res.headers.set("RateLimit-Limit", String(result.limit));
  res.headers.set("RateLimit-Remaining", String(result.remaining));
  res.headers.set("RateLimit-Reset", String(Math.ceil(result.resetMs / 1000)));
  res.headers.set("RateLimit-Policy", policyHeader(result.policy));
  // A 429 of another limit (an account's lockout) already says when to come back.
  if (res.status === 429 && !res.headers.has("Retry-After"))
    res.headers.set("Retry-After", String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))));
}

/** The 429 for a refused request: problem+json, with the headers added on the way out. */
export function rateLimitedError(result: RateLimitResult): ApiError {
  const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  return new ApiError(
    "rate_limited",
    `Too many requests: the ${result.policy.name} limit is ${describeRule(result.policy)}. Try again in ${seconds} s.`,
  );
}

/**
 * Picks the policy of a request and enforces it (docs/rate-limits.md): login routes per IP; requests with a
 * credential per credential (blob uploads and build log batches per deployment and credential instead);
 * anything else per IP.
 * A request whose credential is refused (401) is charged to its IP's unauthenticated quota afterwards, so
 * inventing tokens does not buy a fresh quota per guess. Sets `RateLimit-*` on every limited answer.
 */
export function rateLimit(options: RateLimitOptions = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const declared = declaredPolicy(c);
    const exempt = declared ? declared.rateLimit === "none" : EXEMPT.has(c.req.path);
    if (c.req.method === "OPTIONS" || exempt) return next();
    // Limits apply once per request: an app that mounts this one with its own limiter (tests) wins.
    if (c.get("rateLimiter")) return next();
    const policies = (options.policies ?? policiesOf)(c.env);
    const limiter = (options.limiter ?? limiterOf)(c.env);
    c.set("rateLimiter", { limiter, policies });
    const ip = clientIp(c);
    const credential = credentialOf(c);
    const check = async (policy: Policy | undefined, identity: string) => {
      if (!policy) return null;
      const result = await limiter.take(policy, identity);
      record(c, result);
      return result.allowed ? null : result;
    };

    let refused: RateLimitResult | null = null;
    const login = declared
      ? declared.rateLimit === "login"
      : c.req.method === "POST" && LOGIN.test(c.req.path);
    if (login) {
      refused = await check(policies.login, ip);
    } else if (credential) {
      const guessing = policies.unauthenticated && limiter.blocked(policies.unauthenticated, ip);
      if (guessing) refused = guessing;
      else {
        const identity = (await sha256Hex(credential)).slice(0, 32);
        const perDeployment = declared
          ? declared.rateLimit === "blobs" || declared.rateLimit === "logs"
            ? { policy: declared.rateLimit, id: declaredId(c) }
            : null
          : undeclaredPerDeployment(c);
        refused = perDeployment?.id
          ? await check(policies[perDeployment.policy], `${perDeployment.id}:${identity}`)
          : await check(policies.api, identity);
      }
    } else {
      refused = await check(policies.unauthenticated, ip);
    }

    if (refused) {
      c.set("rateLimit", refused);
      const res = problem(c, "rate_limited", rateLimitedError(refused).message);
      applyHeaders(res, refused);
      return res;
    }
    await next();
    if (credential && c.res.status === 401 && policies.unauthenticated) {
      // Bookkeeping for the next request: it must never change this answer (a fail-closed 503 included).
      await limiter.take(policies.unauthenticated, ip).catch(() => null);
    }
    const result = c.get("rateLimit");
    // A WebSocket upgrade's headers are not ours to change.
    if (result && c.res.status !== 101) applyHeaders(c.res, result);
  });
}

declare module "hono" {
  interface ContextVariableMap {
    rateLimiter: { limiter: Limiter; policies: Policies };
  }
}

/**
 * The per-project limit on deploy triggers, for `triggerBuild` (API, CLI, deploy hooks and webhooks alike).
 * Admits everything when the rate-limit middleware did not run (a test app without it).
 */
export function triggerGate(c: Context<AppEnv>): TriggerGate {
  return {
    async admit(project) {
      const state = c.get("rateLimiter");
      const policy = state?.policies.deploy;
      if (!state || !policy) return;
      const result = await state.limiter.take(policy, project.id);
      record(c, result);
      if (!result.allowed) {
        c.set("rateLimit", result);
        throw rateLimitedError(result);
      }
    },
  };
}
