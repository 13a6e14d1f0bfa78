const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
// A platform listening on every interface is reached from this machine by its loopback names.
const ANY = new Set(["0.0.0.0", "[::]"]);

function loopbackSpellings(origin: string): string[] {
  const url = new URL(origin);
  if (!LOOPBACK.has(url.hostname) && !ANY.has(url.hostname)) return [url.origin];
  const port = url.port ? `:${url.port}` : "";
  return [...LOOPBACK].map((host) => `${url.protocol}//${host}${port}`);
}

/**
 * The console's origins: `MIAOBU_CONSOLE_ORIGIN` when the console is served from elsewhere, and the API's
 * public URL (`MIAOBU_API_URL`), where the API Worker serves it. A loopback origin counts under each of its
 * spellings (`localhost`, `127.0.0.1`, `[::1]`) with the same scheme and port: the local platform prints
 * `http://localhost:8787` while the builder calls `http://127.0.0.1:8787`, and both are this one socket.
 */
export function consoleOriginsOf(configured: string, apiUrl: string): string[] {
  const origins = [configured, apiUrl].filter((value) => value !== "").flatMap(loopbackSpellings);
  return [...new Set(origins)];
}

/** True when `origin` (an `Origin` header) is one of the console's origins. */
export function isConsoleOrigin(origins: readonly string[], origin: string | undefined): boolean {
  return origin !== undefined && origins.includes(origin);
}
