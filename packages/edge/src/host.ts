// A Host is a name (letters, digits, `-`, `_`, dot-separated, an optional trailing dot) or a bracketed IPv6
// literal, with an optional port. Anything else (`x:abc`, `%00`, `a:1:2`, two Host headers joined as `a, b`,
// `a/b`, which workerd would turn into a different path) is refused before any code parses the URL.
const NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i;
const IPV6 = /^\[[0-9a-f:.]+\]$/i;
const MAX_HOST_LENGTH = 260;

/** True for a well-formed `Host` value: a name or `[IPv6]`, and an optional port up to 65535. */
export function isValidHost(host: string): boolean {
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return false;
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(host);
  if (!match) return false;
  const [, name = "", port] = match;
  if (port !== undefined && Number(port) > 65535) return false;
  if (!NAME.test(name) && !IPV6.test(name)) return false;
  try {
    return new URL(`http://${host}/`).pathname === "/";
  } catch {
    return false;
  }
}

/**
 * The request's Host (the header, or the URL's authority when there is none), or null when it is malformed:
 * the caller answers 400 before anything calls `new URL(request.url)`.
 */
export function requestHost(request: Pick<Request, "url" | "headers">): string | null {
  const header = request.headers.get("host");
  const host = header ?? /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(request.url)?.[1] ?? "";
  if (!isValidHost(host)) return null;
  try {
    new URL(request.url);
  } catch {
    return null;
  }
  return host;
}
