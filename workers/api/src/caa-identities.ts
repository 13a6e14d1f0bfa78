// Configuration, read once at the entry with the rest of `Config` (env.ts).

/** The CAA identities of well-known ACME directories; others come from `MIAOBU_ACME_CAA_IDENTITIES`. */
export function caaIdentitiesOf(directoryUrl: string, configured: string): string[] {
  const list = configured
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (list.length > 0) return list;
  const host = new URL(directoryUrl).hostname;
  if (host.endsWith("api.letsencrypt.org")) return ["letsencrypt.org"];
  if (host === "dv.acme-v02.api.pki.goog") return ["pki.goog"];
  if (host === "acme.zerossl.com") return ["sectigo.com"];
  return [];
}
