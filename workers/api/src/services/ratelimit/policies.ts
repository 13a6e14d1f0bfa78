import type { Rule } from "./window.ts";

/** The rate-limit policies, each keyed by its own kind of identity (docs/rate-limits.md). */
export const POLICY_NAMES = ["login", "unauthenticated", "api", "deploy", "blobs", "logs"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** One policy: its rule and what happens when the limiter itself cannot answer. */
export interface Policy extends Rule {
  name: PolicyName;
  /** `open`: admit and log when the limiter fails; `closed`: answer 503 and log. */
  onFailure: "open" | "closed";
}

/** Every policy; a policy set to `off` is absent. */
export type Policies = Partial<Record<PolicyName, Policy>>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Defaults, and the var that overrides each. */
export const POLICY_DEFAULTS: Record<
  PolicyName,
  { variable: string; rule: Rule; onFailure: "open" | "closed" }
> = {
  // Password guessing is what this policy exists for: refuse logins rather than admit them unchecked.
  login: { variable: "MIAOBU_RATE_LIMIT_LOGIN", rule: { limit: 10, windowMs: MINUTE }, onFailure: "closed" },
  unauthenticated: {
    variable: "MIAOBU_RATE_LIMIT_UNAUTHENTICATED",
    rule: { limit: 100, windowMs: MINUTE },
    onFailure: "open",
  },
  api: { variable: "MIAOBU_RATE_LIMIT_API", rule: { limit: 1000, windowMs: MINUTE }, onFailure: "open" },
  // A trigger starts a build, which costs far more than the request: refuse when unsure.
  deploy: { variable: "MIAOBU_RATE_LIMIT_DEPLOY", rule: { limit: 60, windowMs: HOUR }, onFailure: "closed" },
  blobs: { variable: "MIAOBU_RATE_LIMIT_BLOBS", rule: { limit: 5000, windowMs: MINUTE }, onFailure: "open" },
  // A build's log goes out line by line, at most 100 batches a second (containers/builder/src/reporter.ts):
  // twice that, so a build that never stops printing is never refused.
  logs: { variable: "MIAOBU_RATE_LIMIT_LOGS", rule: { limit: 12_000, windowMs: MINUTE }, onFailure: "open" },
};

const UNITS: Record<string, number> = { s: 1000, m: MINUTE, h: HOUR, d: 24 * HOUR };
const SPEC = /^(\d+)\s*\/\s*(\d*)\s*([smhd])(?:\s+(open|closed))?$/;

/**
 * Parses `"10/1m"`, `"60/1h closed"`, `"5000/30s open"` or `"off"` (`null`); `undefined` or empty keeps the
 * default. Throws on anything else, so a typo fails the first request loudly instead of disabling a limit.
 */
export function parsePolicy(name: PolicyName, raw: string | undefined): Policy | null {
  const defaults = POLICY_DEFAULTS[name];
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return { name, ...defaults.rule, onFailure: defaults.onFailure };
  if (value === "off") return null;
  const match = SPEC.exec(value);
  const unit = match?.[3] ? UNITS[match[3]] : undefined;
  const limit = Number(match?.[1]);
  const count = match?.[2] ? Number(match[2]) : 1;
  if (!match || unit === undefined || !Number.isSafeInteger(limit) || limit < 1 || count < 1) {
    throw new Error(`${defaults.variable} must look like "100/1m", "60/1h closed" or "off", got "${raw}"`);
  }
  const onFailure = match[4] === "open" || match[4] === "closed" ? match[4] : defaults.onFailure;
  return { name, limit, windowMs: count * unit, onFailure };
}

/** Every policy from the Worker's vars. */
export function parsePolicies(env: Env): Policies {
  const out: Policies = {};
  for (const name of POLICY_NAMES) {
    const raw: unknown = Reflect.get(env, POLICY_DEFAULTS[name].variable);
    const policy = parsePolicy(name, typeof raw === "string" ? raw : undefined);
    if (policy) out[name] = policy;
  }
  return out;
}

const parsed = new WeakMap<Env, Policies>();

/** The policies of `env`, parsed once per isolate. */
export function policiesOf(env: Env): Policies {
  let policies = parsed.get(env);
  if (!policies) {
    policies = parsePolicies(env);
    parsed.set(env, policies);
  }
  return policies;
}

/** `60;w=3600`: the policy as the `RateLimit-Policy` header states it. */
export function policyHeader(policy: Rule): string {
  return `${policy.limit};w=${Math.ceil(policy.windowMs / 1000)}`;
}

/** "10 per 1 minute", for messages. */
export function describeRule(rule: Rule): string {
  const s = rule.windowMs / 1000;
  const window =
    s % 3600 === 0 ? `${s / 3600} hour` : s % 60 === 0 ? `${s / 60} minute` : `${Math.ceil(s)} second`;
  const plural = window.startsWith("1 ") ? "" : "s";
  return `${rule.limit} per ${window}${plural}`;
}
