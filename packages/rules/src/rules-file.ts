import { parseHeaders } from "./headers.ts";
import { parseRedirects } from "./redirects.ts";
import {
  type HeaderRule,
  PAGES_LIMITS,
  REDIRECT_STATUSES,
  type RedirectRule,
  type RuleProblem,
  type RulesFile,
  type RulesLimits,
} from "./types.ts";

/** The texts of a deployment's rules files; an absent file is undefined. */
export interface RulesSources {
  redirects?: string | undefined;
  headers?: string | undefined;
}

/** Parses both rules files into what `rules.json` stores, with every problem found, `_redirects` first. */
export function parseRulesFiles(
  sources: RulesSources,
  limits: RulesLimits = PAGES_LIMITS,
): { rules: RulesFile; report: RuleProblem[] } {
  const redirects = parseRedirects(sources.redirects ?? "", limits);
  const headers = parseHeaders(sources.headers ?? "", limits);
  return {
    rules: { version: 1, redirects: redirects.rules, headers: headers.rules },
    report: [...redirects.problems, ...headers.problems],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRedirect(value: unknown): value is RedirectRule {
  if (!isObject(value)) return false;
  const { from, to, status, line } = value;
  return (
    typeof from === "string" &&
    from.startsWith("/") &&
    typeof to === "string" &&
    !/[\r\n]/.test(to) &&
    typeof status === "number" &&
    (REDIRECT_STATUSES as readonly number[]).includes(status) &&
    typeof line === "number"
  );
}

function isHeaderRule(value: unknown): value is HeaderRule {
  if (!isObject(value)) return false;
  const { pattern, set, unset, line } = value;
  return (
    typeof pattern === "string" &&
    Array.isArray(set) &&
    set.every((h) => isObject(h) && typeof h.name === "string" && typeof h.value === "string") &&
    Array.isArray(unset) &&
    unset.every((name) => typeof name === "string") &&
    typeof line === "number"
  );
}

/** Parses a stored `rules.json`; throws when it is not one, since the API wrote it. */
export function parseRulesJson(text: string): RulesFile {
  const value: unknown = JSON.parse(text);
  if (!isObject(value) || value.version !== 1) throw new Error("rules.json is not version 1");
  const { redirects, headers } = value;
  if (!Array.isArray(redirects) || !redirects.every(isRedirect))
    throw new Error("rules.json redirects are malformed");
  if (!Array.isArray(headers) || !headers.every(isHeaderRule))
    throw new Error("rules.json headers are malformed");
  return { version: 1, redirects, headers };
}
