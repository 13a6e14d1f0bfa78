import { compilePattern, isDynamic, substitute } from "./pattern.ts";
import type { HeaderRule, HeaderValue, RedirectRule, RedirectStatus, RulesFile } from "./types.ts";

/** A `_redirects` rule that matched a request, with its destination's placeholders filled in. */
export interface RedirectMatch {
  to: string;
  status: RedirectStatus;
  line: number;
}

/** The headers one matching `_headers` block sets (placeholders filled in) and removes. */
export interface HeaderMatch {
  set: HeaderValue[];
  unset: string[];
}

interface DynamicRedirect {
  regexp: RegExp;
  rule: RedirectRule;
}

interface CompiledHeaderRule {
  regexp: RegExp;
  absolute: boolean;
  rule: HeaderRule;
}

/**
 * Whose asset server a site's rules are matched as. Workers' differs in two ways (workers-shared,
 * asset-worker/src/utils/rules-engine.ts and utils/configuration/parseRedirects.ts): a dynamic rule's
 * destination has its runs of `/` collapsed once filled in, unless it starts with `scheme://`; and rules
 * flagged `indexLoop` apply when its html handling is `none`.
 */
export type RedirectFlavour = { platform: "pages" } | { platform: "workers"; htmlHandlingNone: boolean };

const PAGES: RedirectFlavour = { platform: "pages" };

/** Rules compiled once per deployment: static redirects in a map, patterns as regular expressions. */
export interface CompiledRules {
  /** The redirect for a request path (`URL.pathname`, percent-encoded): static rules first, then dynamic in order. */
  redirect(pathname: string, flavour?: RedirectFlavour): RedirectMatch | null;
  /** Every `_headers` block matching the request, in file order. */
  headers(hostname: string, pathname: string): HeaderMatch[];
  readonly empty: boolean;
}

function groupsOf(match: RegExpExecArray): Record<string, string | undefined> {
  return match.groups ?? {};
}

type RedirectMatcher = (pathname: string, collapse: boolean) => RedirectMatch | null;

function compileRedirects(rules: readonly RedirectRule[]): RedirectMatcher {
  const staticRedirects = new Map<string, RedirectRule>();
  const dynamicRedirects: DynamicRedirect[] = [];
  // As on Pages, only the rules above the first dynamic one are looked up by path; from there on every
  // rule, static or not, is tried in file order.
  let staticAllowed = true;
  for (const rule of rules) {
    if (staticAllowed && !isDynamic(rule.from)) {
      if (!staticRedirects.has(rule.from)) staticRedirects.set(rule.from, rule);
      continue;
    }
    staticAllowed = false;
    try {
      dynamicRedirects.push({ regexp: compilePattern(rule.from), rule });
    } catch {
      // A pattern whose groups collide never matches, as on Pages (the parser reported it).
    }
  }
  return (pathname, collapse) => {
    const exact = staticRedirects.get(pathname);
    if (exact) return { to: exact.to, status: exact.status, line: exact.line };
    for (const { regexp, rule } of dynamicRedirects) {
      const match = regexp.exec(pathname);
      if (!match) continue;
      const to = substitute(rule.to, groupsOf(match));
      return {
        to: collapse && !/^\w+:\/\//.test(to) ? to.replace(/\/+/g, "/") : to,
        status: rule.status,
        line: rule.line,
      };
    }
    return null;
  };
}

/** Compiles parsed rules for matching; patterns that cannot compile (never produced by the parser) are dropped. */
export function compileRules(rules: RulesFile): CompiledRules {
  const withoutLoops = compileRedirects(rules.redirects.filter((rule) => !rule.indexLoop));
  // Only a project set to html handling `none` needs the flagged rules; compiled on its first request.
  let withLoops: RedirectMatcher | undefined = rules.redirects.some((rule) => rule.indexLoop)
    ? undefined
    : withoutLoops;
  const headerRules: CompiledHeaderRule[] = [];
  for (const rule of rules.headers) {
    try {
      const absolute = rule.pattern.startsWith("https://");
      headerRules.push({ regexp: compilePattern(rule.pattern), absolute, rule });
    } catch {
      // As above: Pages accepts such a block and it never applies.
    }
  }

  return {
    empty: rules.redirects.length === 0 && rules.headers.length === 0,
    redirect(pathname, flavour = PAGES) {
      if (flavour.platform === "pages") return withoutLoops(pathname, false);
      if (!flavour.htmlHandlingNone) return withoutLoops(pathname, true);
      withLoops ??= compileRedirects(rules.redirects);
      return withLoops(pathname, true);
    },
    headers(hostname, pathname) {
      if (headerRules.length === 0) return [];
      const matches: HeaderMatch[] = [];
      const absoluteUrl = `https://${hostname}${pathname}`;
      for (const { regexp, absolute, rule } of headerRules) {
        const match = regexp.exec(absolute ? absoluteUrl : pathname);
        if (!match) continue;
        const groups = groupsOf(match);
        matches.push({
          set: rule.set.map(({ name, value }) => ({ name, value: substitute(value, groups) })),
          unset: rule.unset,
        });
      }
      return matches;
    },
  };
}

/**
 * Applies matching `_headers` blocks to a response's headers as Pages does: in file order, `! Name`
 * removes, the first block to set a name replaces what the server sent, and later blocks append to it.
 * A value the runtime refuses is skipped rather than failing the response.
 */
export function applyHeaderMatches(headers: Headers, matches: readonly HeaderMatch[]): void {
  const setHere = new Set<string>();
  for (const { set, unset } of matches) {
    for (const name of unset) {
      headers.delete(name);
      setHere.delete(name);
    }
    for (const { name, value } of set) {
      try {
        if (setHere.has(name)) headers.append(name, value);
        else {
          headers.set(name, value);
          setHere.add(name);
        }
      } catch {
        // Substituted placeholders come from the URL, which is ASCII; nothing else can make this throw.
      }
    }
  }
}

/**
 * The `Location` of a redirect, as Pages computes it: the request's query string is kept unless the
 * destination has its own, the destination's fragment is kept, and a destination on the request's own
 * origin is written as a path.
 */
export function redirectLocation(to: string, requestUrl: URL): string {
  let destination: URL;
  try {
    destination = new URL(to, requestUrl);
  } catch {
    return to;
  }
  const search = destination.search || requestUrl.search;
  if (destination.origin === requestUrl.origin) {
    return `${destination.pathname}${search}${destination.hash}`;
  }
  return `${destination.origin}${destination.pathname}${search}${destination.hash}`;
}
