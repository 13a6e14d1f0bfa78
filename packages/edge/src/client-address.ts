/** The one identity every client shares when the Worker cannot see who is connecting. */
export const LOCAL_CLIENT = "local";

/**
 * The client's address for rate limits. On Cloudflare, `CF-Connecting-IP` is set by Cloudflare (a client's
 * own value is replaced), so it is trusted. The local platform serves each Worker on a Miniflare direct
 * socket: workerd passes the client's `CF-Connecting-IP` through untouched and fills `request.cf` from a
 * client-supplied `MF-CF-Blob` header, and tells the Worker nothing about the peer. There every client is
 * one identity: not spoofable, and on loopback (the platform's default) every client is one address anyway.
 */
export function clientAddress(request: Pick<Request, "headers">, trustCfConnectingIp: boolean): string {
  if (!trustCfConnectingIp) return LOCAL_CLIENT;
  return request.headers.get("CF-Connecting-IP")?.trim() || LOCAL_CLIENT;
}

/**
 * Reads `MIAOBU_TRUST_CF_CONNECTING_IP`: `true`, `false`, or empty for the default, which trusts the header
 * unless sites are served on `localhost` (the local platform, where no Cloudflare edge sets it).
 */
export function trustsCfConnectingIp(raw: string | undefined, sitesBaseDomain: string): boolean {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return sitesBaseDomain !== "localhost";
  if (value === "true") return true;
  if (value === "false") return false;
  throw new Error(`MIAOBU_TRUST_CF_CONNECTING_IP must be "true", "false" or empty, got "${raw}"`);
}
