import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseHeaders } from "../src/headers.ts";
import { applyHeaderMatches, compileRules, redirectLocation } from "../src/match.ts";
import { checkPattern } from "../src/pattern.ts";
import { parseRedirects } from "../src/redirects.ts";
import { parseRulesJson } from "../src/rules-file.ts";
import type { RulesLimits } from "../src/types.ts";

const small: RulesLimits = {
  maxStaticRedirects: 3,
  maxDynamicRedirects: 2,
  maxRedirectLineLength: 40,
  maxHeaderRules: 2,
  maxHeaderLineLength: 40,
};

const piece = fc.constantFrom(
  "/",
  "*",
  ":id",
  ":splat",
  " ",
  "\t",
  "\n",
  "#",
  "!",
  ":",
  "a",
  "é",
  "301",
  "200",
  "https://",
  "x.html",
  "\r\n",
  "  X-A: b\n",
);
const ruleText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(piece, { maxLength: 60 }).map((p) => p.join("")),
);

describe("parsers never throw and always respect the limits", () => {
  it("_redirects", () => {
    fc.assert(
      fc.property(ruleText, (text) => {
        const lines = text.split(/\r?\n/).length;
        const parsed = parseRedirects(text, small);
        const isStatic = (from: string) => !from.includes("*") && !/:[A-Za-z]/.test(from);
        expect(parsed.rules.filter((r) => isStatic(r.from)).length).toBeLessThanOrEqual(
          small.maxStaticRedirects,
        );
        expect(parsed.rules.filter((r) => !isStatic(r.from)).length).toBeLessThanOrEqual(
          small.maxDynamicRedirects,
        );
        for (const rule of [...parsed.rules, ...parsed.problems]) {
          expect(rule.line).toBeGreaterThanOrEqual(1);
          expect(rule.line).toBeLessThanOrEqual(lines);
        }
        const compiled = compileRules({ version: 1, redirects: parsed.rules, headers: [] });
        for (const rule of parsed.rules) {
          expect(rule.from.startsWith("/")).toBe(true);
          expect(() => redirectLocation(rule.to, new URL("https://s.example/p?q=1"))).not.toThrow();
          // A pattern whose groups collide is kept (as on Pages) and reported; it matches nothing.
          if (checkPattern(rule.from) !== null) continue;
          // Every rule's own source path matches something (itself or an earlier rule).
          const sample = rule.from.replace("*", "x").replace(/:[A-Za-z]\w*/g, "v");
          expect(compiled.redirect(sample)).not.toBeNull();
        }
      }),
      { numRuns: 500 },
    );
  });

  it("_headers", () => {
    fc.assert(
      fc.property(ruleText, fc.string({ maxLength: 30 }), (text, path) => {
        const parsed = parseHeaders(text, small);
        expect(parsed.rules.length).toBeLessThanOrEqual(small.maxHeaderRules);
        const compiled = compileRules({ version: 1, redirects: [], headers: parsed.rules });
        const headers = new Headers();
        // Applying any parsed rule to any request never throws.
        applyHeaderMatches(headers, compiled.headers("s.example", `/${encodeURI(path)}`));
        for (const rule of parsed.rules) {
          expect(rule.set.length + rule.unset.length).toBeGreaterThan(0);
          applyHeaderMatches(
            headers,
            compiled.headers("s.example", rule.pattern.replace(/^https:\/\/[^/]+/, "")),
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it("parsed rules round-trip through rules.json", () => {
    fc.assert(
      fc.property(ruleText, ruleText, (r, h) => {
        const rules = {
          version: 1 as const,
          redirects: parseRedirects(r).rules,
          headers: parseHeaders(h).rules,
        };
        expect(parseRulesJson(JSON.stringify(rules))).toEqual(rules);
      }),
      { numRuns: 200 },
    );
  });
});
