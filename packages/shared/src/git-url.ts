// Which git URLs Miaobu fetches from, shared by the API (on input) and the builder (again, after DNS and on
// every redirect). The builder clones as root on the platform's network, so a URL must not make it reach
// loopback services, private networks or the cloud metadata address, unless the operator allows the host.
import { type ClassifiedAddress, classifyAddress } from "./ip-address.ts";

/** The variable holding the operator's allow-list: comma-separated `host` or `host:port`, IPv6 in brackets. */
export const GIT_ALLOWED_HOSTS_VARIABLE = "MIAOBU_GIT_ALLOWED_HOSTS";

/** Why a URL with a username or password is refused, with where credentials go instead. */
export const GIT_CREDENTIALS_PROBLEM =
  "git URLs may not contain credentials (a username or password): they would be stored and shown in plain " +
  "text; import a private GitHub repository with the GitHub integration, and keep other tokens in secret " +
  "environment variables";

const SSH_PROBLEM = "ssh URLs are not supported yet; use https:// or git://";
const NOT_A_URL = "not a URL; use https://host/owner/repo.git or git://host/repo";
const FIX = `an operator can allow a host with ${GIT_ALLOWED_HOSTS_VARIABLE}`;

export type GitScheme = "https" | "http" | "git";

const DEFAULT_PORTS: Record<GitScheme, number> = { https: 443, http: 80, git: 9418 };

/** A git URL the builder knows how to fetch, not yet judged by where it points. */
export interface GitUrl {
  /** The WHATWG serialization: what git is given, so git and this check read the same URL. */
  href: string;
  scheme: GitScheme;
  /** Lowercase, without a trailing dot; IPv6 in brackets. */
  host: string;
  /** The effective port: the URL's, or the scheme's default. */
  port: number;
  hasUserinfo: boolean;
}

export type GitUrlParse = { ok: true; url: GitUrl } | { ok: false; problem: string };

/** One entry of the operator's allow-list; `port: null` allows every port. */
export interface AllowedHost {
  /** Canonical: an address as `classifyAddress` writes it (IPv6 without brackets), or a lowercase name. */
  host: string;
  port: number | null;
}

const LABEL = /^[a-z0-9_-]{1,63}$/;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;

const trimDot = (host: string) => (host.endsWith(".") ? host.slice(0, -1) : host).toLowerCase();

function nameSyntaxProblem(name: string): string | null {
  const labels = name.split(".");
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? "")) return `${name} is not a valid IPv4 address`;
  if (name.length > 253 || !labels.every((label) => LABEL.test(label)))
    return `${name} is not a valid host name`;
  return null;
}

/** Parses a URL the builder can clone (`https://`, `http://`, `git://`), userinfo included. */
export function parseGitUrl(raw: string): GitUrlParse {
  const fail = (problem: string): GitUrlParse => ({ ok: false, problem });
  if (/^[\w.-]+@[\w.-]+:/.test(raw)) return fail(SSH_PROBLEM);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(NOT_A_URL);
  }
  const protocol = url.protocol.slice(0, -1);
  if (["ssh", "git+ssh", "ssh+git"].includes(protocol)) return fail(SSH_PROBLEM);
  if (protocol !== "https" && protocol !== "http" && protocol !== "git")
    return fail(`${url.protocol} URLs are not supported; use https:// or git://`);
  if (url.hostname === "") return fail("the URL has no host; use https://host/owner/repo.git");
  const host = trimDot(url.hostname);
  if (!host.startsWith("[")) {
    const problem = classifyAddress(host) ? null : nameSyntaxProblem(host);
    if (problem) return fail(problem);
  }
  return {
    ok: true,
    url: {
      href: url.href,
      scheme: protocol,
      host,
      port: url.port === "" ? DEFAULT_PORTS[protocol] : Number(url.port),
      hasUserinfo: url.username !== "" || url.password !== "",
    },
  };
}

function canonicalHost(host: string): string {
  const name = trimDot(host);
  return classifyAddress(name)?.address ?? name;
}

/** Parses `MIAOBU_GIT_ALLOWED_HOSTS`; throws on an entry that is not `host` or `host:port`. */
export function parseAllowedHosts(raw: string | undefined): AllowedHost[] {
  const out: AllowedHost[] = [];
  for (const entry of (raw ?? "").split(",")) {
    const text = entry.trim().toLowerCase();
    if (text === "") continue;
    const parsed = allowedEntry(text);
    if (!parsed) {
      throw new Error(
        `${GIT_ALLOWED_HOSTS_VARIABLE}: "${entry.trim()}" is not a host or host:port (IPv6 in brackets)`,
      );
    }
    out.push(parsed);
  }
  return out;
}

function allowedEntry(text: string): AllowedHost | null {
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? "";
    portText = bracketed[2];
    if (!host.includes(":")) return null;
  } else if (/[[\]]/.test(text)) {
    return null;
  } else if (text.split(":").length === 2) {
    [host = "", portText] = text.split(":");
  }
  const port = portText === undefined ? null : portOf(portText);
  if (port === undefined) return null;
  const address = classifyAddress(host);
  if (address) return { host: address.address, port };
  if (host.includes(":")) return null;
  const name = trimDot(host);
  return nameSyntaxProblem(name) === null ? { host: name, port } : null;
}

function portOf(text: string): number | undefined {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : 0;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Whether the operator allowed `host` (any spelling of its address) on `port`. */
export function isHostAllowed(host: string, port: number, allowed: readonly AllowedHost[]): boolean {
  const canonical = canonicalHost(host);
  return allowed.some((entry) => entry.host === canonical && (entry.port === null || entry.port === port));
}

const KIND_TEXT: Record<Exclude<ClassifiedAddress["kind"], "public">, string> = {
  loopback: "a loopback address",
  unspecified: "an unspecified address",
  private: "a private address",
  shared: "a shared (carrier-grade NAT) address",
  "link-local": "a link-local address",
  multicast: "a multicast address",
  reserved: "a reserved address",
};

const METADATA = new Set(["169.254.169.254", "fd00:ec2::254"]);

function refusal(detail: string): string {
  return `git URLs may not point at private or loopback addresses (${detail}); ${FIX}`;
}

/** `127.0.0.1, a loopback address`: the address as it will be reached, and what it is. */
function describe(address: ClassifiedAddress): { canonical: string; kind: string } {
  const canonical = address.ipv4 ?? address.address;
  const kind =
    METADATA.has(canonical) || METADATA.has(address.address)
      ? "the cloud metadata address"
      : KIND_TEXT[address.kind === "public" ? "reserved" : address.kind];
  return { canonical, kind };
}

function hostIs(written: string, address: ClassifiedAddress): string {
  const { canonical, kind } = describe(address);
  const bare = written.replace(/^\[|\]$/g, "");
  return bare === canonical ? `${written} is ${kind}` : `${written} is ${canonical}, ${kind}`;
}

/** Why git may not fetch from `host` on `port`, or null. Names are judged by form only: DNS is the builder's. */
export function gitHostProblem(host: string, port: number, allowed: readonly AllowedHost[]): string | null {
  if (isHostAllowed(host, port, allowed)) return null;
  const name = trimDot(host);
  const address = classifyAddress(name);
  if (address) return address.kind === "public" ? null : refusal(hostIs(host, address));
  const syntax = nameSyntaxProblem(name);
  if (syntax) return syntax;
  if (name === "localhost" || name.endsWith(".localhost")) return refusal(`${host} is a loopback name`);
  if (!name.includes(".") || /\.(?:internal|local|localdomain|home\.arpa)$/.test(name))
    return refusal(`${host} is not a public host name`);
  return null;
}

/** Why git may not connect to `address`, which `host` resolved to, or null (allowed name or address). */
export function gitAddressProblem(
  host: string,
  address: string,
  port: number,
  allowed: readonly AllowedHost[],
): string | null {
  if (isHostAllowed(host, port, allowed)) return null;
  const classified = classifyAddress(address);
  if (!classified) return `${host} resolved to "${address}", which is not an IP address`;
  if (classified.kind === "public") return null;
  if (isHostAllowed(classified.address, port, allowed)) return null;
  if (classified.ipv4 && isHostAllowed(classified.ipv4, port, allowed)) return null;
  const { canonical, kind } = describe(classified);
  return refusal(`${host} resolves to ${canonical}, ${kind}`);
}

/** The API's check of a git URL given by a user: a supported URL, no credentials, not a refused host. */
export function gitUrlProblem(raw: string, allowed: readonly AllowedHost[]): string | null {
  const parsed = parseGitUrl(raw);
  if (!parsed.ok) return parsed.problem;
  if (parsed.url.hasUserinfo) return GIT_CREDENTIALS_PROBLEM;
  return gitHostProblem(parsed.url.host, parsed.url.port, allowed);
}

/** `scheme://user:password@host/…` → `scheme://***@host/…`, for showing a URL stored before credentials were refused. */
export function redactGitUrl(raw: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(raw);
  const authority = match?.[2] ?? "";
  const at = authority.lastIndexOf("@");
  if (!match || at === -1) return raw;
  return `${match[1]}***${raw.slice((match[1] ?? "").length + at)}`;
}
