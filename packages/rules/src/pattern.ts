// URL patterns shared by `_redirects` sources and `_headers` paths: `*` splats and `:name` placeholders,
// read, compiled and substituted exactly as Cloudflare's asset server does, quirks included, since a site
// must behave the same on Pages and here.

const PLACEHOLDER = /:([A-Za-z]\w*)/g;
const ESCAPE = /[-/\\^$*+?.()|[\]{}]/g;
// A placeholder in the host part of an escaped `https://host/…` pattern (it stops at `.` or `/`).
const HOST_PLACEHOLDER = /(?<=^https:\\\/\\\/[^/]*?):([A-Za-z]\w*)(?=\\)/g;
const ABSOLUTE = /^https:\/\/+(?<host>[^/]+)\/?(?<path>.*)/;

/** True when `text` holds a C0 control character or DEL (a tab is allowed when `allowTab`). */
export function hasControlCharacter(text: string, allowTab = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && !(allowTab && code === 0x09)) || code === 0x7f) return true;
  }
  return false;
}

/** True when the pattern has a splat or a placeholder, so it cannot be matched by string equality. */
export function isDynamic(pattern: string): boolean {
  // Not PLACEHOLDER.test: that would move the shared global regex's lastIndex, which matchAll copies.
  return pattern.includes("*") || /:[A-Za-z]/.test(pattern);
}

/**
 * Why a pattern can never match, or null. Pages accepts such a rule and then fails to compile it (two
 * splats, a placeholder twice, `*` with `:splat`, a name that is the start of a later one such as
 * `/:a/:ab`); Miaobu keeps the rule with the same effect and reports it.
 */
export function checkPattern(pattern: string): string | null {
  try {
    compilePattern(pattern);
    return null;
  } catch {
    const splats = pattern.split("*").length - 1;
    if (splats > 1)
      return `Only one splat (*) is allowed in a pattern; got ${splats} in ${pattern}, which never matches.`;
    return `The placeholders of ${pattern} repeat a name (or one name starts another, or * meets :splat); it never matches.`;
  }
}

/**
 * Normalizes a path as Pages does before storing a rule: parsed below a non-special URL, so dot segments
 * and percent-encoding are resolved as a browser would while `//` and `\` stay as written. The query and
 * fragment are kept only when asked. Null when it cannot be parsed.
 */
export function normalizePath(path: string, keep: { search?: boolean; hash?: boolean } = {}): string | null {
  try {
    const url = new URL(`//${path.startsWith("/") ? path : `/${path}`}`, "relative://");
    return `${url.pathname}${keep.search ? url.search : ""}${keep.hash ? url.hash : ""}`;
  } catch {
    return null;
  }
}

/**
 * Normalizes a rule's URL as Pages' validator does: an `https://host/path` URL (refused when `allowHost`
 * is false, or when it names a port and ports are refused) or a path from the root.
 */
export function normalizeUrl(
  token: string,
  options: { allowHost: boolean; allowPort: boolean; search?: boolean; hash?: boolean },
): { url: string } | { problem: string } {
  const absolute = ABSOLUTE.exec(token)?.groups;
  if (absolute?.host) {
    if (!options.allowHost) return { problem: `Only paths are allowed here; got ${token}.` };
    if (!options.allowPort && /:\d+$/.test(absolute.host))
      return { problem: `Ports are not supported in URLs; got ${token}.` };
    const path = normalizePath(absolute.path ?? "", options);
    return path === null
      ? { problem: `${token} is not a valid URL.` }
      : { url: `https://${absolute.host}${path}` };
  }
  // Where only a path is allowed, Pages reads `a` as `/a`.
  if (!token.startsWith("/") && options.allowHost)
    return { problem: `Expected a path starting with / or an https:// URL; got ${token}.` };
  const path = normalizePath(token, options);
  return path === null ? { problem: `${token} is not a valid path.` } : { url: path };
}

/**
 * Compiles a pattern into an anchored regular expression with named groups, as Pages does: the splat is
 * `(?<splat>.*)`, a placeholder one path segment (one label in an https pattern's host). Throws when the
 * groups collide, as Pages' does.
 */
export function compilePattern(pattern: string): RegExp {
  let source = pattern
    .split("*")
    .map((part) => part.replace(ESCAPE, "\\$&"))
    .join("(?<splat>.*)");
  for (const [token, name] of source.matchAll(HOST_PLACEHOLDER))
    source = source.split(token).join(`(?<${name}>[^/.]+)`);
  for (const [token, name] of source.matchAll(PLACEHOLDER))
    source = source.split(token).join(`(?<${name}>[^/]+)`);
  return new RegExp(`^${source}$`);
}

/**
 * Fills a destination or header value with what a match captured, as Pages does: each group in pattern
 * order replaces every `:name` in the text, so `:a` also rewrites the start of `:ab` when `a` comes first.
 */
export function substitute(template: string, groups: Record<string, string | undefined>): string {
  let out = template;
  for (const [name, value] of Object.entries(groups)) out = out.replaceAll(`:${name}`, value ?? "undefined");
  return out;
}
