/** DNS record types the domain checks ask for. */
export type RecordType = "A" | "AAAA" | "CNAME" | "TXT" | "CAA";

const TYPE_CODES: Record<RecordType, number> = { A: 1, CNAME: 5, TXT: 16, AAAA: 28, CAA: 257 };

/** What a resolver answered: the values of the asked type (CNAME chains are not followed). */
export interface DnsAnswer {
  /** DNS RCODE: 0 NOERROR, 3 NXDOMAIN. */
  status: number;
  values: string[];
}

/** The resolver could not be asked or failed (SERVFAIL): nothing can be concluded about the records. */
export class ResolverError extends Error {
  override name = "ResolverError";
}

interface DohJson {
  Status?: number;
  Answer?: { name?: string; type?: number; data?: string }[];
}

const MAX_VALUES = 50;

// TXT data comes as one or more quoted strings: `"abc" "def"` is the value `abcdef`.
function txtValue(data: string): string {
  const parts = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1"));
  return parts.length > 0 ? parts.join("") : data;
}

/** Asks a DNS-over-HTTPS JSON endpoint (Cloudflare's and Google's format) for one name and type. */
export async function resolveDoh(dohUrl: string, name: string, type: RecordType): Promise<DnsAnswer> {
  const url = new URL(dohUrl);
  url.searchParams.set("name", name);
  url.searchParams.set("type", type);
  let body: DohJson;
  try {
    const res = await fetch(url, {
      headers: { Accept: "application/dns-json" },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new ResolverError(`the DNS resolver answered HTTP ${res.status}`);
    body = await res.json<DohJson>();
  } catch (error) {
    if (error instanceof ResolverError) throw error;
    throw new ResolverError("the DNS resolver could not be reached");
  }
  const status = body.Status ?? 2;
  if (status !== 0 && status !== 3) throw new ResolverError(`the DNS resolver failed (RCODE ${status})`);
  const code = TYPE_CODES[type];
  const values = (body.Answer ?? [])
    .filter((a) => a.type === code && typeof a.data === "string")
    .slice(0, MAX_VALUES)
    .map((a) => {
      const data = a.data ?? "";
      if (type === "TXT") return txtValue(data);
      if (type === "CAA") return data;
      return data.toLowerCase().replace(/\.$/, "");
    });
  return { status, values };
}
