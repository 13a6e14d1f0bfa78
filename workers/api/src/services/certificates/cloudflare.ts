import type { DomainConfig } from "../../env.ts";

/** Cloudflare for SaaS credentials and zone. */
export type CloudflareConfig = NonNullable<DomainConfig["cloudflare"]>;

/** What Cloudflare's API answers (`{ success, errors, messages, result }`). */
interface Envelope<T> {
  success: boolean;
  errors: { code: number; message: string }[];
  result: T | null;
}

/** The parts of a custom hostname object Miaobu reads. */
export interface CustomHostname {
  id: string;
  hostname: string;
  ssl?: {
    status?: string;
    validation_errors?: { message: string }[];
    certificates?: { expires_on?: string; issued_on?: string }[];
  };
}

/** Where a custom hostname's certificate stands, in Miaobu's terms. */
export interface HostnameState {
  id: string;
  status: "pending" | "issued" | "failed";
  error: string | null;
  notBefore: number | null;
  expiresAt: number | null;
}

/** A Cloudflare API failure, with its messages. */
export class CloudflareError extends Error {
  override name = "CloudflareError";
}

async function call<T>(
  config: CloudflareConfig,
  method: string,
  path: string,
  body?: unknown,
): Promise<T | null> {
  const res = await fetch(`${config.apiUrl}/zones/${config.zoneId}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${config.apiToken}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const envelope = await res.json<Envelope<T>>().catch(() => null);
  if (res.status === 404 && method === "DELETE") return null;
  if (!res.ok || !envelope?.success) {
    const messages =
      envelope?.errors.map((e) => `${e.message} (${e.code})`).join("; ") || `HTTP ${res.status}`;
    throw new CloudflareError(`Cloudflare answered: ${messages}`);
  }
  return envelope.result;
}

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : null);

/** Maps a custom hostname's SSL state to issued / pending / failed. */
export function stateOf(hostname: CustomHostname): HostnameState {
  const ssl = hostname.ssl ?? {};
  const errors = (ssl.validation_errors ?? []).map((e) => e.message);
  const certificate = ssl.certificates?.[0];
  const base = {
    id: hostname.id,
    notBefore: time(certificate?.issued_on),
    expiresAt: time(certificate?.expires_on),
  };
  if (ssl.status === "active") return { ...base, status: "issued", error: null };
  if (errors.length > 0 || ssl.status === "validation_timed_out" || ssl.status === "issuance_timed_out") {
    return { ...base, status: "failed", error: errors.join("; ") || `Cloudflare: ${ssl.status}` };
  }
  return { ...base, status: "pending", error: null };
}

/** Creates the custom hostname (DV certificate validated over HTTP), or reads the existing one's state. */
export async function ensureCustomHostname(
  config: CloudflareConfig,
  hostname: string,
  externalId: string | null,
): Promise<HostnameState> {
  if (externalId) {
    const found = await call<CustomHostname>(config, "GET", `/custom_hostnames/${externalId}`);
    if (found) return stateOf(found);
  }
  const created = await call<CustomHostname>(config, "POST", "/custom_hostnames", {
    hostname,
    ssl: { method: "http", type: "dv", settings: { min_tls_version: "1.2" } },
  });
  if (!created) throw new CloudflareError("Cloudflare created no custom hostname");
  return stateOf(created);
}

/** Deletes a custom hostname; one already gone is fine. */
export async function deleteCustomHostname(config: CloudflareConfig, externalId: string): Promise<void> {
  await call(config, "DELETE", `/custom_hostnames/${externalId}`);
}
