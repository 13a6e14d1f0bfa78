// The builder's check of a git URL before anything connects to it (docs/security.md, "Git URLs").
//
// Contract: `vetGitUrl(url, { allowedHosts, lookup? })` resolves to `{ url, pins, followRedirects: false,
// gitConfig }` or throws a `BuildFailure` whose message says what was refused and how to fix it.
// - The URL must pass the shared policy (@miaobu/shared git-url.ts): https, http or git, a valid host, and
//   no loopback, private, link-local, metadata or reserved address unless `MIAOBU_GIT_ALLOWED_HOSTS` (give
//   `allowedGitHosts()`) allows the host. Userinfo is accepted on http(s) only: it is the API's own GitHub
//   token (`x-access-token:…@`, services/github/credentials.ts); users cannot store one.
// - A host name is resolved once (getaddrinfo through node:dns, every A and AAAA answer, /etc/hosts
//   included, as git would) and refused if ANY answer is refused, unless the name or that address is allowed.
// - http(s): git's discovery request (`GET <url>/info/refs?service=git-upload-pack`) is sent here, connected
//   to the vetted addresses, and its redirects are followed (at most `maxRedirects`), each hop vetted the
//   same way. Credentials go only to the original origin, and stay in the returned URL only if the last hop
//   is on it. `url` is the last hop's repository URL.
// - `pins` are curl `--resolve` entries (`host:port:address[,address…]`) for the last hop's host name: the
//   caller passes each to git as `http.curloptResolve` (all of `gitConfig` is ready to pass), so git
//   connects to the addresses vetted here whatever DNS answers next (no rebinding). git must run with
//   `http.followRedirects=false` (`followRedirects: false`): every redirect worth following was followed here.
// - git:// (no TLS, no redirects) gets its host replaced by the vetted address, IPv4 preferred, for the same
//   reason; an allowed host keeps its name.
// With an operator proxy (`HTTPS_PROXY`) git's connection goes through the proxy, which resolves the name
// itself; the discovery request here still connects directly.
import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import {
  type AllowedHost,
  classifyAddress,
  GIT_ALLOWED_HOSTS_VARIABLE,
  GIT_CREDENTIALS_PROBLEM,
  type GitUrl,
  gitAddressProblem,
  gitHostProblem,
  isHostAllowed,
  parseAllowedHosts,
  parseGitUrl,
} from "@miaobu/shared";
import { BuildFailure, splitCredentials } from "./clone.ts";

/** Every address a host name resolves to. */
export type Lookup = (host: string) => Promise<string[]>;

export interface VetOptions {
  /** The operator's allow-list: parsed (`allowedGitHosts()`), or the raw `MIAOBU_GIT_ALLOWED_HOSTS` value. */
  allowedHosts: readonly AllowedHost[] | string;
  /** Resolves host names; default getaddrinfo (node:dns `lookup` with `all`). */
  lookup?: Lookup;
  /** Redirects of the discovery request followed at most (default 5). */
  maxRedirects?: number;
  /** Time allowed for each discovery request (default 15 s). */
  timeoutMs?: number;
}

/** A URL git may fetch, and how git must be configured to fetch only from where it was vetted. */
export interface VettedGitUrl {
  /** The URL to give git: the last redirect's repository, a git:// host replaced by its vetted address. */
  url: string;
  /** curl `--resolve` entries for `http.curloptResolve`: `host:port:address[,address…]`. */
  pins: string[];
  /** git must run with `http.followRedirects=false`. */
  followRedirects: false;
  /** `[key, value]` pairs for git's configuration: `http.followRedirects` and one `http.curloptResolve` per pin. */
  gitConfig: [string, string][];
}

const INFO_REFS = "info/refs";
const SERVICE = "?service=git-upload-pack";
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The operator's allow-list from the builder's environment (`MIAOBU_GIT_ALLOWED_HOSTS`); throws if malformed. */
export function allowedGitHosts(env: Record<string, string | undefined> = process.env): AllowedHost[] {
  return parseAllowedHosts(env[GIT_ALLOWED_HOSTS_VARIABLE]);
}

/** getaddrinfo's answers, as git would get them. */
export const systemLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((answer) => answer.address);

/** Vets `raw` for cloning, following and vetting its redirects; throws a `BuildFailure` when refused. */
export async function vetGitUrl(raw: string, options: VetOptions): Promise<VettedGitUrl> {
  const allowed =
    typeof options.allowedHosts === "string" ? parseAllowedHosts(options.allowedHosts) : options.allowedHosts;
  const lookup = options.lookup ?? systemLookup;
  const first = checked(raw, allowed, null);
  if (first.scheme === "git") {
    if (first.hasUserinfo) throw new BuildFailure(GIT_CREDENTIALS_PROBLEM);
    if (isHostAllowed(first.host, first.port, allowed)) return result(first.href, []);
    // git reads `0x7f000001` or `127.1` as inet_aton does; it gets the address as vetted, spelled plainly.
    const literal = classifyAddress(first.host)?.address;
    const addresses = literal ? [literal] : await vettedAddresses(first, allowed, lookup, null);
    const url = new URL(first.href);
    if (addresses) url.hostname = bracketed(preferIPv4(addresses));
    return result(url.href, []);
  }
  const { url: bare, header } = splitCredentials(first.href);
  const origin = new URL(bare).origin;
  const maxRedirects = options.maxRedirects ?? 5;
  let hop = new URL(bare);
  let addresses = await vettedAddresses(first, allowed, lookup, null);
  for (let redirects = 0; ; redirects++) {
    const from = hop.href;
    const answer = await discover(hop, addresses, hop.origin === origin ? header : null, options.timeoutMs);
    if (answer.location === null) break;
    if (redirects >= maxRedirects)
      throw new BuildFailure(`${bare}: too many redirects (more than ${maxRedirects})`);
    hop = repositoryOf(from, answer.location);
    const next = checked(hop.href, allowed, from);
    if (next.hasUserinfo) throw new BuildFailure(`${from} redirected to a URL with credentials`);
    addresses = await vettedAddresses(next, allowed, lookup, from);
  }
  const final = new URL(hop.href);
  if (final.origin === origin) {
    const original = new URL(first.href);
    final.username = original.username;
    final.password = original.password;
  }
  const port = final.port || (final.protocol === "https:" ? "443" : "80");
  const pins = addresses ? [`${final.hostname}:${port}:${addresses.map(bracketed).join(",")}`] : [];
  return result(final.href, pins);
}

function result(url: string, pins: string[]): VettedGitUrl {
  return {
    url,
    pins,
    followRedirects: false,
    gitConfig: [
      ["http.followRedirects", "false"],
      ...pins.map((pin): [string, string] => ["http.curloptResolve", pin]),
    ],
  };
}

/** Parses and applies the host policy; `from` names the URL that redirected here, for the message. */
function checked(raw: string, allowed: readonly AllowedHost[], from: string | null): GitUrl {
  const parsed = parseGitUrl(raw);
  const prefix = from ? `${from} redirected to ${raw}: ` : "";
  if (!parsed.ok) throw new BuildFailure(`${prefix}${parsed.problem}`);
  if (from && parsed.url.scheme === "git")
    throw new BuildFailure(`${prefix}only http(s) redirects are followed`);
  const problem = gitHostProblem(parsed.url.host, parsed.url.port, allowed);
  if (problem) throw new BuildFailure(`${prefix}${problem}`);
  return parsed.url;
}

/** The addresses a host name resolves to, all vetted; null for an address literal (nothing to resolve). */
async function vettedAddresses(
  url: GitUrl,
  allowed: readonly AllowedHost[],
  lookup: Lookup,
  from: string | null,
): Promise<string[] | null> {
  if (classifyAddress(url.host)) return null;
  let addresses: string[];
  try {
    addresses = await lookup(url.host);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new BuildFailure(`could not resolve ${url.host} (${why})`);
  }
  if (addresses.length === 0) throw new BuildFailure(`could not resolve ${url.host}: no addresses`);
  for (const address of addresses) {
    const problem = gitAddressProblem(url.host, address, url.port, allowed);
    if (problem) throw new BuildFailure(from ? `${from} redirected to ${url.href}: ${problem}` : problem);
  }
  return addresses;
}

const bracketed = (address: string) => (isIP(address) === 6 ? `[${address}]` : address);
const preferIPv4 = (addresses: string[]) => addresses.find((a) => isIP(a) === 4) ?? addresses[0] ?? "";

/** A redirect's target, which must be another repository's discovery URL, as git requires → that repository. */
function repositoryOf(from: string, location: string): URL {
  let target: URL;
  try {
    target = new URL(location, `${infoRefsUrl(new URL(from))}`);
  } catch {
    throw new BuildFailure(`${from} redirected to "${location}", which is not a URL`);
  }
  if (!target.pathname.endsWith(`/${INFO_REFS}`) || target.search !== SERVICE) {
    throw new BuildFailure(`${from} redirected to ${target.href}, which is not a git repository URL`);
  }
  target.pathname = target.pathname.slice(0, -INFO_REFS.length);
  target.search = "";
  target.hash = "";
  return target;
}

function infoRefsUrl(repository: URL): URL {
  const url = new URL(repository.href);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${INFO_REFS}`;
  url.search = SERVICE;
  url.hash = "";
  return url;
}

/** A lookup that answers with the vetted addresses only. */
function pinned(addresses: string[]): LookupFunction {
  const answers = addresses.map((address) => ({ address, family: isIP(address) }));
  return (_host, options, callback) => {
    if (options.all) callback(null, answers);
    else callback(null, answers[0]?.address ?? "", answers[0]?.family ?? 4);
  };
}

/** Sends git's discovery request to `repository` and says where it redirects, if anywhere. */
function discover(
  repository: URL,
  addresses: string[] | null,
  authorization: string | null,
  timeoutMs = 15_000,
): Promise<{ location: string | null }> {
  const target = infoRefsUrl(repository);
  const client = target.protocol === "https:" ? https : http;
  const headers: Record<string, string> = { "User-Agent": "git/2 (miaobu)", Accept: "*/*" };
  if (authorization) headers.Authorization = authorization.replace(/^Authorization:\s*/i, "");
  return new Promise((resolve, reject) => {
    const request = client.request(target, {
      method: "GET",
      headers,
      timeout: timeoutMs,
      ...(addresses ? { lookup: pinned(addresses) } : {}),
    });
    request.on("response", (response) => {
      const location = REDIRECTS.has(response.statusCode ?? 0) ? (response.headers.location ?? null) : null;
      // Only the status and Location matter; the refs themselves are git's to fetch.
      response.destroy();
      request.destroy();
      resolve({ location });
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on("error", (error) =>
      reject(new BuildFailure(`could not reach ${repository.href} (${error.message})`)),
    );
    request.end();
  });
}
