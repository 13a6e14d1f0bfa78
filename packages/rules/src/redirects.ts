import { checkPattern, hasControlCharacter, isDynamic, normalizePath } from "./pattern.ts";
import {
  PAGES_LIMITS,
  REDIRECT_STATUSES,
  type RedirectRule,
  type RedirectStatus,
  type RuleProblem,
  type RulesLimits,
} from "./types.ts";

export interface ParsedRedirects {
  rules: RedirectRule[];
  problems: RuleProblem[];
}

const ABSOLUTE = /^https?:\/\/[^/?#\s]+/i;

function statusOf(token: string): RedirectStatus | null {
  if (!/^\d{3}$/.test(token)) return null;
  const status = Number(token);
  return (REDIRECT_STATUSES as readonly number[]).includes(status) ? (status as RedirectStatus) : null;
}

/** Checks a destination: a path from the site's root or an absolute http(s) URL. */
function checkDestination(to: string): string | null {
  if (hasControlCharacter(to)) return "The destination contains a control character.";
  if (to.startsWith("/") && !to.startsWith("//")) return null;
  if (ABSOLUTE.test(to)) {
    try {
      new URL(to.replace(/:([A-Za-z]\w*)/g, "x"));
      return null;
    } catch {
      return `The destination ${to} is not a valid URL.`;
    }
  }
  return `The destination must be a path starting with / or an absolute http(s) URL; got ${to}.`;
}

/**
 * Parses a `_redirects` file as Cloudflare Pages does: one `source destination [status]` per line,
 * `#` comments, status 302 by default. Invalid lines are skipped and reported; at most
 * `maxStaticRedirects` static rules and `maxDynamicRedirects` dynamic ones are kept (once a dynamic
 * rule appears, every later rule counts as dynamic, as on Pages). Never throws.
 */
export function parseRedirects(text: string, limits: RulesLimits = PAGES_LIMITS): ParsedRedirects {
  const rules: RedirectRule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  let staticCount = 0;
  let dynamicCount = 0;
  let staticAllowed = true;
  const report = (line: number, message: string) => problems.push({ file: "_redirects", line, message });

  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.length > limits.maxRedirectLineLength) {
      report(lineNumber, `The line is longer than ${limits.maxRedirectLineLength} characters.`);
      continue;
    }
    const tokens = line.split(/\s+/);
    if (tokens.length < 2 || tokens.length > 3) {
      report(lineNumber, `Expected "source destination [status]"; got ${tokens.length} fields.`);
      continue;
    }
    const [rawFrom = "", to = "", rawStatus = "302"] = tokens;
    if (!rawFrom.startsWith("/") || rawFrom.startsWith("//")) {
      report(lineNumber, `The source must be a path starting with /; got ${rawFrom}.`);
      continue;
    }
    const from = normalizePath(rawFrom);
    if (from === null) {
      report(lineNumber, `The source ${rawFrom} is not a valid path.`);
      continue;
    }
    const patternProblem = checkPattern(from);
    if (patternProblem) {
      report(lineNumber, patternProblem);
      continue;
    }
    if (staticAllowed && !isDynamic(from)) {
      if (staticCount >= limits.maxStaticRedirects) {
        report(lineNumber, `Only ${limits.maxStaticRedirects} static redirects are allowed; line skipped.`);
        continue;
      }
    } else {
      staticAllowed = false;
      if (dynamicCount >= limits.maxDynamicRedirects) {
        const remaining = lines.slice(i).filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).length;
        report(
          lineNumber,
          `Only ${limits.maxDynamicRedirects} dynamic redirects are allowed (every rule after the first dynamic one counts); the remaining ${remaining} rules are skipped.`,
        );
        break;
      }
    }
    const destinationProblem = checkDestination(to);
    if (destinationProblem) {
      report(lineNumber, destinationProblem);
      continue;
    }
    const status = statusOf(rawStatus);
    if (status === null) {
      report(lineNumber, `Unknown status ${rawStatus}: use 200, 301, 302 (default), 303, 307 or 308.`);
      continue;
    }
    const absolute = ABSOLUTE.test(to);
    if (status === 200 && absolute) {
      report(lineNumber, `A 200 rewrite can only point to a path of this site; got ${to}.`);
      continue;
    }
    // Pages refuses `/* /index.html` (any status): it fights the redirect that strips `/index.html`.
    // Single-page apps need no rule: with no 404.html the router already serves /index.html.
    if (!absolute && /\/\*?$/.test(from) && /\/index(\.html)?$/.test(to.replace(/[?#].*$/, ""))) {
      report(
        lineNumber,
        `This rule would loop (${from} → ${to}) and is ignored, as on Cloudflare Pages; a site without 404.html is served as a single-page app already.`,
      );
      continue;
    }
    if (seen.has(from)) {
      report(lineNumber, `A rule for ${from} already exists above; the first one wins.`);
      continue;
    }
    seen.add(from);
    if (staticAllowed && !isDynamic(from)) staticCount++;
    else dynamicCount++;
    rules.push({ from, to, status, line: lineNumber });
  }
  return { rules, problems };
}
