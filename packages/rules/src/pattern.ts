// URL patterns shared by `_redirects` sources and `_headers` paths: one `*` splat and `:name` placeholders.

const PLACEHOLDER = /:([A-Za-z]\w*)/g;
const ESCAPE = /[-/\\^$+?.()|[\]{}]/g;
const ORIGIN = "http://rules.invalid";

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
  PLACEHOLDER.lastIndex = 0;
  return pattern.includes("*") || PLACEHOLDER.test(pattern);
}

/**
 * Checks the parts a pattern may hold: at most one splat and each placeholder name once (both become
 * named groups of one regular expression). Returns a problem message or null.
 */
export function checkPattern(pattern: string): string | null {
  const splats = pattern.split("*").length - 1;
  if (splats > 1) return `Only one splat (*) is allowed in a pattern; got ${splats} in ${pattern}.`;
  const names = new Set<string>(splats === 1 ? ["splat"] : []);
  for (const match of pattern.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (names.has(name)) return `The placeholder :${name} appears more than once in ${pattern}.`;
    names.add(name);
  }
  return null;
}

/**
 * Normalizes a path the way a browser's URL parser would send it (percent-encoding, dot segments),
 * dropping any query or fragment, so patterns compare with `URL.pathname`. Null when it cannot be parsed.
 */
export function normalizePath(path: string): string | null {
  try {
    return new URL(`${ORIGIN}${path}`).pathname;
  } catch {
    return null;
  }
}

/** Compiles a pattern into an anchored regular expression with named groups. */
export function compilePattern(pattern: string, hostPlaceholders: boolean): RegExp {
  let source = "";
  let rest = pattern;
  let hostEnd = -1;
  if (hostPlaceholders && pattern.startsWith("https://")) {
    const slash = pattern.indexOf("/", "https://".length);
    hostEnd = slash === -1 ? pattern.length : slash;
  }
  let offset = 0;
  while (rest.length > 0) {
    const star = rest.indexOf("*");
    PLACEHOLDER.lastIndex = 0;
    const placeholder = PLACEHOLDER.exec(rest);
    const next = Math.min(star === -1 ? Infinity : star, placeholder ? placeholder.index : Infinity);
    if (next === Infinity) {
      source += rest.replace(ESCAPE, "\\$&");
      break;
    }
    source += rest.slice(0, next).replace(ESCAPE, "\\$&");
    if (next === star) {
      source += "(?<splat>.*)";
      rest = rest.slice(next + 1);
      offset += next + 1;
    } else if (placeholder) {
      const inHost = offset + next < hostEnd;
      source += `(?<${placeholder[1]}>${inHost ? "[^/.]+" : "[^/]+"})`;
      rest = rest.slice(next + placeholder[0].length);
      offset += next + placeholder[0].length;
    }
  }
  return new RegExp(`^${source}$`);
}

/** Replaces `:name` tokens the match captured; unknown tokens (e.g. a port) stay as written. */
export function substitute(template: string, groups: Record<string, string | undefined>): string {
  return template.replace(PLACEHOLDER, (token, name: string) => {
    const value = Object.hasOwn(groups, name) ? groups[name] : undefined;
    return value ?? token;
  });
}
