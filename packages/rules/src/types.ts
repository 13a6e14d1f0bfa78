/** Which rules file a problem was found in. */
export type RulesFileName = "_redirects" | "_headers";

/** An invalid or ignored line, reported to the user at deploy time rather than silently dropped. */
export interface RuleProblem {
  file: RulesFileName;
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

/** The statuses Pages accepts in `_redirects`: 200 rewrites, the others redirect. */
export const REDIRECT_STATUSES = [200, 301, 302, 303, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

/** One valid line of `_redirects`. */
export interface RedirectRule {
  /** Normalized, percent-encoded path pattern; may hold one `*` and `:placeholders`. */
  from: string;
  /** A path (with optional query and fragment) or an absolute URL; may hold `:splat` and placeholders. */
  to: string;
  status: RedirectStatus;
  line: number;
  /**
   * A `…/` source to a `…/index` or `…/index.html` path: a loop wherever an html handling strips `/index`
   * again, so Pages never applies it and Workers only with html handling `none` (chosen at match time, as a
   * project's settings change without a deploy).
   */
  indexLoop?: true;
}

/** One header a `_headers` block sets. */
export interface HeaderValue {
  name: string;
  value: string;
}

/** One block of `_headers`: a URL pattern and what to set and remove on matching responses. */
export interface HeaderRule {
  /** A normalized path pattern (`/…`) or an absolute pattern (`https://host/…`). */
  pattern: string;
  /** Headers to set, lower-cased names in file order; a name given twice in one block is joined with ", ". */
  set: HeaderValue[];
  /** Lower-cased header names removed with `! Name`. */
  unset: string[];
  line: number;
}

/** The limits Cloudflare Pages documents. */
export interface RulesLimits {
  maxStaticRedirects: number;
  maxDynamicRedirects: number;
  maxRedirectLineLength: number;
  maxHeaderRules: number;
  maxHeaderLineLength: number;
}

export const PAGES_LIMITS: RulesLimits = {
  maxStaticRedirects: 2_000,
  maxDynamicRedirects: 100,
  maxRedirectLineLength: 1_000,
  maxHeaderRules: 100,
  maxHeaderLineLength: 2_000,
};

/** What `rules.json` beside a deployment's manifest holds: the parsed, valid rules. */
export interface RulesFile {
  version: 1;
  redirects: RedirectRule[];
  headers: HeaderRule[];
}

export const EMPTY_RULES: RulesFile = { version: 1, redirects: [], headers: [] };
