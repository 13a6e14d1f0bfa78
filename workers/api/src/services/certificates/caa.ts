import { type DnsAnswer, resolveDoh } from "../domains/dns.ts";

/** One CAA record: flags, tag, value (RFC 8659). */
export interface CaaRecord {
  tag: string;
  value: string;
}

const decoder = new TextDecoder();

/**
 * Parses a CAA record as DoH JSON gives it: presentation form (`0 issue "letsencrypt.org"`, Google) or the
 * generic RFC 3597 form (`\# 19 00 05 69 73 …`, Cloudflare).
 */
export function parseCaa(data: string): CaaRecord | null {
  const generic = /^\\#\s+\d+\s+([0-9a-f\s]+)$/i.exec(data.trim());
  if (generic) {
    const bytes = Uint8Array.from((generic[1] ?? "").replace(/\s+/g, "").match(/../g) ?? [], (h) =>
      Number.parseInt(h, 16),
    );
    const tagLength = bytes[1] ?? 0;
    return {
      tag: decoder.decode(bytes.slice(2, 2 + tagLength)).toLowerCase(),
      value: decoder.decode(bytes.slice(2 + tagLength)),
    };
  }
  const presentation = /^\d+\s+(\S+)\s+"?(.*?)"?$/.exec(data.trim());
  return presentation ? { tag: (presentation[1] ?? "").toLowerCase(), value: presentation[2] ?? "" } : null;
}

/**
 * Why the CAA records of `hostname` forbid every CA in `identities`, or null when one may issue. The
 * relevant set is the closest one walking up the name (RFC 8659 §3); no set, or one without `issue`
 * tags, allows everyone.
 */
export async function caaProblem(
  dohUrl: string,
  hostname: string,
  identities: readonly string[],
): Promise<string | null> {
  if (identities.length === 0) return null;
  const labels = hostname.split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    const name = labels.slice(i).join(".");
    const answer: DnsAnswer = await resolveDoh(dohUrl, name, "CAA");
    const records = answer.values.map(parseCaa).filter((r): r is CaaRecord => r !== null);
    if (records.length === 0) continue;
    const issuers = records
      .filter((r) => r.tag === "issue")
      .map((r) => (r.value.split(";")[0] ?? "").trim().toLowerCase());
    if (issuers.length === 0) return null;
    if (issuers.some((issuer) => identities.includes(issuer))) return null;
    return `the CAA records of ${name} allow only ${issuers.filter(Boolean).join(", ") || "no CA"}; add \`0 issue "${identities[0]}"\``;
  }
  return null;
}
