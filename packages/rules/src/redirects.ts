import { checkPattern, hasControlCharacter, isDynamic, normalizeUrl } from "./pattern.ts";
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

function statusOf(token: string): RedirectStatus | null {
  // Pages reads the status with Number(), so `301.0` is 301 too.
  const status = Number(token);
  return (REDIRECT_STATUSES as readonly number[]).includes(status) ? (status as RedirectStatus) : null;
}

/** Checks and normalizes a destination: a path from the site's root (`//host/…` included) or an https URL. */
function destinationOf(to: string): { url: string } | { problem: string } {
  if (hasControlCharacter(to)) return { problem: "The destination contains a control character." };
  const normalized = normalizeUrl(to, { allowHost: true, allowPort: true, search: true, hash: true });
  if ("url" in normalized) return normalized;
  return { problem: `The destination must be a path starting with / or an https:// URL; got ${to}.` };
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
    // Pages drops an inline comment (whitespace, then `#` to the end); `/a /b#c` keeps its fragment.
    const tokens = line.replace(/\s+#.*$/, "").split(/\s+/);
    if (tokens.length < 2 || tokens.length > 3) {
      report(lineNumber, `Expected "source destination [status]"; got ${tokens.length} fields.`);
      continue;
    }
    const [rawFrom = "", rawTo = "", rawStatus = "302"] = tokens;
    // As on Pages, a source without its leading slash gets one; an absolute URL is refused.
    const source = normalizeUrl(rawFrom, { allowHost: false, allowPort: false });
    if ("problem" in source) {
      report(lineNumber, `The source must be a path; got ${rawFrom}.`);
      continue;
    }
    const from = source.url;
    if (staticAllowed && !isDynamic(from)) {
      if (staticCount >= limits.maxStaticRedirects) {
        report(lineNumber, `Only ${limits.maxStaticRedirects} static redirects are allowed; line skipped.`);
        continue;
      }
      staticCount++;
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
      dynamicCount++;
    }
    const destination = destinationOf(rawTo);
    if ("problem" in destination) {
      report(lineNumber, destination.problem);
      continue;
    }
    const to = destination.url;
    const status = statusOf(rawStatus);
    if (status === null) {
      report(lineNumber, `Unknown status ${rawStatus}: use 200, 301, 302 (default), 303, 307 or 308.`);
      continue;
    }
    const absolute = to.startsWith("https://");
    // Pages refuses `/* /index.html` (any status): it fights the redirect that strips `/index.html`.
    // Single-page apps need no rule: with no 404.html the router already serves /index.html.
    const toIndex = !absolute && /\/index(.html)?$/.test(to);
    if (toIndex && from.endsWith("/*")) {
      report(
        lineNumber,
        `This rule would loop (${from} → ${to}) and is ignored, as on Cloudflare Pages; a site without 404.html is served as a single-page app already.`,
      );
      continue;
    }
    // Workers (parseRedirects in workers-shared) accepts `/a/ /index.html` when its html handling is `none`;
    // such a rule is kept flagged, outside `seen` as Workers refuses it before marking its source.
    if (toIndex && from.endsWith("/")) {
      report(
        lineNumber,
        `This rule would loop (${from} → ${to}) and is ignored, as on Cloudflare Pages, unless the project's HTML handling is none.`,
      );
      rules.push({ from, to, status, line: lineNumber, indexLoop: true });
      continue;
    }
    if (seen.has(from)) {
      report(lineNumber, `A rule for ${from} already exists above; the first one wins.`);
      continue;
    }
    // Marked before the check below, as Pages does: a refused rewrite still shadows later rules for its source.
    seen.add(from);
    if (status === 200 && absolute) {
      report(lineNumber, `A 200 rewrite can only point to a path of this site; got ${to}.`);
      continue;
    }
    const patternProblem = checkPattern(from);
    if (patternProblem) report(lineNumber, patternProblem);
    rules.push({ from, to, status, line: lineNumber });
  }
  return { rules, problems };
}
