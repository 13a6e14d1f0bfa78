import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../src/app.ts";
import worker from "../src/index.ts";
import { rateLimit } from "../src/middleware/rate-limit.ts";
import type { Limiter } from "../src/services/ratelimit/limiter.ts";
import {
  POLICY_NAMES,
  type Policies,
  type PolicyName,
  parsePolicy,
} from "../src/services/ratelimit/policies.ts";

export interface LimitedRequest {
  method?: string;
  token?: string;
  json?: unknown;
  body?: BodyInit;
  ip?: string;
  headers?: Record<string, string>;
}

/**
 * The real API behind a rate limiter with the given policies (`"3/1m"`, …; unnamed ones are generous), so a
 * test can reach a limit in a few requests. The Worker's own limiter steps aside (middleware/rate-limit.ts).
 * It trusts `CF-Connecting-IP` as on Cloudflare (`ip`) unless `vars` say otherwise.
 */
export function limitedApi(
  specs: Partial<Record<PolicyName, string>>,
  limiter?: Limiter,
  vars: Record<string, string> = {},
) {
  const testEnv: Env = Object.assign({}, env, { MIAOBU_TRUST_CF_CONNECTING_IP: "true" }, vars);
  const policies: Policies = {};
  for (const name of POLICY_NAMES) {
    const policy = parsePolicy(name, specs[name] ?? "100000/1m");
    if (policy) policies[name] = policy;
  }
  const app = createApp();
  app.use(rateLimit({ policies: () => policies, ...(limiter ? { limiter: () => limiter } : {}) }));
  app.route("/", worker);
  return async (path: string, options: LimitedRequest = {}): Promise<Response> => {
    const headers = new Headers(options.headers);
    headers.set("CF-Connecting-IP", options.ip ?? "192.0.2.1");
    if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
    let body = options.body;
    if (options.json !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(options.json);
    }
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://localhost${path}`, {
        method: options.method ?? (body === undefined ? "GET" : "POST"),
        headers,
        body: body ?? null,
      }),
      testEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/** A documentation-range address no other test uses. */
export function freshIp(): string {
  const [a = 0, b = 0] = crypto.getRandomValues(new Uint8Array(2));
  return `2001:db8::${a.toString(16)}:${b.toString(16)}:${Date.now().toString(16).slice(-4)}`;
}

/** The `RateLimit-*` and `Retry-After` headers of a response. */
export function limitHeaders(res: Response) {
  return {
    limit: res.headers.get("RateLimit-Limit"),
    remaining: res.headers.get("RateLimit-Remaining"),
    reset: res.headers.get("RateLimit-Reset"),
    retryAfter: res.headers.get("Retry-After"),
  };
}
