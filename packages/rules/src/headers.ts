import { checkPattern, hasControlCharacter, normalizeUrl } from "./pattern.ts";
import { type HeaderRule, PAGES_LIMITS, type RuleProblem, type RulesLimits } from "./types.ts";

export interface ParsedHeaders {
  rules: HeaderRule[];
  problems: RuleProblem[];
}

const PATH_LINE = /^(\S+:\/\/|\/)/;
// RFC 9110 token characters: anything else would make `Headers.set` throw at serving time.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A value may hold tabs and Latin-1 text, never other control characters (CR/LF are already split off).
function badValue(value: string): boolean {
  return hasControlCharacter(value, true) || /[^\x20-\xff\t]/.test(value);
}

type PatternResult = { pattern: string; warning: string | null } | { problem: string };

/** Checks and normalizes a block's URL line: a path, or an https URL without a port. */
function parsePattern(line: string): PatternResult {
  if (!line.startsWith("/") && !/^https:\/\//i.test(line))
    return { problem: `Absolute URLs must begin with https://; got ${line}.` };
  const normalized = normalizeUrl(line, { allowHost: true, allowPort: false });
  if ("problem" in normalized) return normalized;
  // Hostnames are matched lower-cased (a request's always is); Pages compares as written, so never matches.
  const pattern = normalized.url.replace(/^https:\/\/[^/]+/, (origin) => origin.toLowerCase());
  // Pages refuses these blocks outright; other patterns that cannot compile are kept and never apply.
  const splats = pattern.split("*").length - 1;
  if (splats > 1 || (splats === 1 && /:splat(?!\w)/.test(pattern)))
    return { problem: `Only one splat (*) is allowed, and not with :splat; got ${pattern}.` };
  return { pattern, warning: checkPattern(pattern) };
}

/**
 * Parses a `_headers` file as Cloudflare Pages does: a URL pattern on its own line, then indented
 * `Name: value` lines, `! Name` to remove a header, `#` comments. Invalid lines are skipped and
 * reported; at most `maxHeaderRules` rules are kept. Never throws.
 */
export function parseHeaders(text: string, limits: RulesLimits = PAGES_LIMITS): ParsedHeaders {
  const rules: HeaderRule[] = [];
  const problems: RuleProblem[] = [];
  const lines = text.split(/\r?\n/);
  let rule: HeaderRule | null = null;
  // A block whose URL line was invalid: its header lines are skipped without one report each.
  let skippingBlock = false;
  const report = (line: number, message: string) => problems.push({ file: "_headers", line, message });
  const close = () => {
    if (rule === null) return;
    const current: HeaderRule = rule;
    rule = null;
    if (current.set.length === 0 && current.unset.length === 0) {
      report(current.line, `No headers are given for ${current.pattern}.`);
      return;
    }
    // Pages keeps one block per pattern: a later one replaces the earlier one, in the earlier one's place.
    const earlier = rules.findIndex((r) => r.pattern === current.pattern);
    if (earlier === -1) {
      rules.push(current);
      return;
    }
    report(
      current.line,
      `This block replaces the one for ${current.pattern} at line ${rules[earlier]?.line}, as on Pages.`,
    );
    rules[earlier] = current;
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.length > limits.maxHeaderLineLength) {
      report(lineNumber, `The line is longer than ${limits.maxHeaderLineLength} characters.`);
      continue;
    }
    if (PATH_LINE.test(line)) {
      close();
      if (rules.length >= limits.maxHeaderRules) {
        report(
          lineNumber,
          `Only ${limits.maxHeaderRules} header rules are allowed; the rest of the file is skipped.`,
        );
        break;
      }
      const parsed = parsePattern(line);
      if ("problem" in parsed) {
        report(lineNumber, parsed.problem);
        skippingBlock = true;
        continue;
      }
      skippingBlock = false;
      if (parsed.warning) report(lineNumber, parsed.warning);
      rule = { pattern: parsed.pattern, set: [], unset: [], line: lineNumber };
      continue;
    }
    if (skippingBlock) continue;
    if (rule === null) {
      report(lineNumber, "Expected a URL pattern (starting with / or https://) before any header.");
      continue;
    }
    // Pages reads `! Name` (with the space) as a removal, and only on a line without a colon.
    if (line.startsWith("! ") && !line.includes(":")) {
      const name = line.slice(2).trim().toLowerCase();
      if (!TOKEN.test(name)) {
        report(lineNumber, `"${name}" is not a valid header name to remove.`);
        continue;
      }
      if (!rule.unset.includes(name)) rule.unset.push(name);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon === -1) {
      report(lineNumber, 'Expected "Name: value" or "! Name".');
      continue;
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "") {
      report(lineNumber, "The header name is missing.");
      continue;
    }
    if (!TOKEN.test(name)) {
      report(lineNumber, `"${name}" is not a valid header name.`);
      continue;
    }
    if (value === "") {
      report(lineNumber, `The header ${name} has no value.`);
      continue;
    }
    if (badValue(value)) {
      report(lineNumber, `The value of ${name} holds a control or non-Latin-1 character.`);
      continue;
    }
    const existing = rule.set.find((header) => header.name === name);
    if (existing) existing.value = `${existing.value}, ${value}`;
    else rule.set.push({ name, value });
  }
  close();
  return { rules, problems };
}
