/** Longest hostname DNS allows, in its ASCII (punycode) form. */
export const MAX_HOSTNAME_LENGTH = 253;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A normalized hostname, or why the input is not one Miaobu can serve. */
export type HostnameCheck = { hostname: string } | { problem: string };

/**
 * Lowercase, IDN → punycode (through the URL parser, as browsers do), no trailing dot; refuses wildcards,
 * IP addresses, single labels and the platform's own base domain and everything under it.
 */
export function normalizeDomain(raw: string, base: string): HostnameCheck {
  const input = raw.trim();
  if (input === "" || input.length > 1024) return { problem: "give a hostname such as www.example.com" };
  if (input.includes("*")) {
    return {
      problem:
        "wildcard domains are not supported: add each hostname (www.example.com, docs.example.com) on its own",
    };
  }
  if (/[/:?#@\s]/.test(input)) return { problem: "give a bare hostname, without scheme, port or path" };
  let hostname: string;
  try {
    hostname = new URL(`http://${input}`).hostname;
  } catch {
    return { problem: "this is not a valid hostname" };
  }
  if (hostname.endsWith(".")) hostname = hostname.slice(0, -1);
  if (hostname.length > MAX_HOSTNAME_LENGTH) return { problem: "a hostname is at most 253 characters" };
  const own = base.toLowerCase();
  if (hostname === own || hostname.endsWith(`.${own}`)) {
    return { problem: `${own} and its subdomains belong to the platform` };
  }
  const labels = hostname.split(".");
  if (labels.length < 2) return { problem: "a custom domain has at least two labels (example.com)" };
  if (!labels.every((label) => LABEL.test(label))) {
    return { problem: "each label is 1–63 letters, digits or hyphens, not starting or ending with a hyphen" };
  }
  if (/^\d+$/.test(labels.at(-1) ?? "")) return { problem: "IP addresses cannot be custom domains" };
  return { hostname };
}

/**
 * Whether a hostname is probably a zone apex (example.com, example.co.uk), which cannot have a CNAME. Only
 * the instructions depend on it: the check accepts a CNAME or matching addresses either way.
 */
export function looksLikeApex(hostname: string): boolean {
  const labels = hostname.split(".");
  if (labels.length === 2) return true;
  // Common two-label public suffixes; anything else with three labels is treated as a subdomain.
  return (
    labels.length === 3 && /^(?:co|com|net|org|gov|edu|ac)$/.test(labels[1] ?? "") && labels[2]?.length === 2
  );
}
