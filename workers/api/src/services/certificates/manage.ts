import type { CertificateRow } from "@miaobu/db";
import { certificates, domains } from "@miaobu/db";
import { and, asc, eq, inArray, lt, or } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { decryptSecret, encryptSecret } from "../../lib/secrets.ts";
import type { DomainRow } from "../domains/present.ts";
import { caaProblem } from "./caa.ts";
import { deleteCustomHostname, ensureCustomHostname } from "./cloudflare.ts";
import { explainAcmeError } from "./explain.ts";

// acme-client and its ASN.1 stack load only when an order is placed: most requests never need them, and
// the Vitest pool's module loader cannot resolve their extensionless imports (wrangler's bundle can), so
// the unit tests exercise everything up to the order and the end-to-end suite the order itself.
const acmeModule = () => import("./acme.ts");

type CertDeps = Pick<Deps, "db" | "storage" | "config" | "now">;

/** Renew this long before expiry. */
export const RENEW_BEFORE_MS = 30 * 86_400_000;
const RETRY_BASE_MS = 15 * 60_000;
const RETRY_MAX_MS = 24 * 3_600_000;
/** How often a Cloudflare custom hostname still validating is polled. */
const POLL_MS = 5 * 60_000;

const backoff = (attempts: number) => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));

/** A certificate's state as the API shows it (never the key). */
export interface CertificateJson {
  provider: "acme" | "cloudflare";
  status: "pending" | "issued" | "failed";
  notBefore: string | null;
  expiresAt: string | null;
  /** Why the last attempt failed; null after a success. */
  lastError: string | null;
  attempts: number;
  nextAttemptAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const keyContext = (row: Pick<CertificateRow, "domainId" | "hostname">) =>
  `tls-key:${row.domainId}:${row.hostname}`;

/** The API's view of a certificate row. */
export function presentCertificate(row: CertificateRow): CertificateJson {
  return {
    provider: row.provider,
    status: row.status,
    notBefore: iso(row.notBefore),
    expiresAt: iso(row.expiresAt),
    lastError: row.lastError,
    attempts: row.attempts,
    nextAttemptAt: iso(row.nextAttemptAt),
  };
}

/** The certificate row of a domain, if any. */
export async function certificateOf(
  deps: Pick<Deps, "db">,
  domainId: string,
): Promise<CertificateRow | undefined> {
  return deps.db.select().from(certificates).where(eq(certificates.domainId, domainId)).get();
}

/**
 * Issues (or renews) a verified domain's certificate through ACME http-01 and stores the chain and the
 * encrypted key. A failure is recorded with an explanation and a retry time that backs off exponentially.
 */
export async function issueCertificate(deps: CertDeps, domain: DomainRow): Promise<CertificateRow> {
  if (domain.status !== "verified") {
    throw new ApiError(
      "conflict",
      `${domain.hostname} is ${domain.status}: verify its DNS before asking for a certificate.`,
    );
  }
  const { db } = deps;
  const at = deps.now();
  const existing = await certificateOf(deps, domain.id);
  const base: CertificateRow = existing ?? {
    domainId: domain.id,
    hostname: domain.hostname,
    provider: deps.config.domains.tlsProvider,
    status: "pending",
    challengeToken: null,
    challengeResponse: null,
    certificatePem: null,
    privateKeyEncrypted: null,
    externalId: null,
    notBefore: null,
    expiresAt: null,
    lastError: null,
    attempts: 0,
    nextAttemptAt: null,
    createdAt: at,
    updatedAt: at,
  };
  if (!existing) await db.insert(certificates).values(base);
  const where = eq(certificates.domainId, domain.id);
  if (base.provider === "cloudflare") {
    const next = await syncCustomHostname(deps, base);
    await db.update(certificates).set(next).where(where);
    return next;
  }
  const challenges = {
    put: async (token: string, keyAuthorization: string) => {
      await db
        .update(certificates)
        .set({ challengeToken: token, challengeResponse: keyAuthorization })
        .where(where);
    },
    clear: async () => {
      await db.update(certificates).set({ challengeToken: null, challengeResponse: null }).where(where);
    },
  };
  try {
    // CAA first: an order the CA must refuse would only spend its rate limit.
    const caa = await caaProblem(
      deps.config.domains.dohUrl,
      domain.hostname,
      deps.config.domains.acmeCaaIdentities,
    );
    if (caa) throw new Error(caa);
    const { orderCertificate } = await acmeModule();
    const issued = await orderCertificate(deps, domain.hostname, challenges);
    const next: CertificateRow = {
      ...base,
      status: "issued",
      challengeToken: null,
      challengeResponse: null,
      certificatePem: issued.certificatePem,
      privateKeyEncrypted: await encryptSecret(
        deps.config.keys.encryptionKey,
        issued.privateKeyPem,
        keyContext(base),
      ),
      notBefore: issued.notBefore,
      expiresAt: issued.expiresAt,
      lastError: null,
      attempts: 0,
      nextAttemptAt: issued.expiresAt - RENEW_BEFORE_MS,
      updatedAt: deps.now(),
    };
    await db.update(certificates).set(next).where(where);
    return next;
  } catch (error) {
    const attempts = base.attempts + 1;
    const next: CertificateRow = {
      ...base,
      // A certificate still valid stays issued while its renewal is retried.
      status: base.status === "issued" && (base.expiresAt ?? 0) > deps.now() ? "issued" : "failed",
      challengeToken: null,
      challengeResponse: null,
      lastError: explainAcmeError(error),
      attempts,
      nextAttemptAt: deps.now() + backoff(attempts),
      updatedAt: deps.now(),
    };
    await db.update(certificates).set(next).where(where);
    return next;
  }
}

/**
 * Cloudflare for SaaS: creates the custom hostname on the first call, then reads its SSL status. Cloudflare
 * validates, issues and renews by itself; Miaobu polls while it is pending and reports its errors.
 */
async function syncCustomHostname(deps: CertDeps, base: CertificateRow): Promise<CertificateRow> {
  const config = deps.config.domains.cloudflare;
  const at = deps.now();
  try {
    if (!config)
      throw new Error("Cloudflare for SaaS is not configured (CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_TOKEN)");
    const state = await ensureCustomHostname(config, base.hostname, base.externalId);
    const attempts = state.status === "failed" ? base.attempts + 1 : 0;
    return {
      ...base,
      externalId: state.id,
      status: state.status,
      lastError: state.error,
      notBefore: state.notBefore,
      expiresAt: state.expiresAt,
      attempts,
      nextAttemptAt:
        state.status === "pending" ? at + POLL_MS : state.status === "failed" ? at + backoff(attempts) : null,
      updatedAt: at,
    };
  } catch (error) {
    const attempts = base.attempts + 1;
    return {
      ...base,
      status: base.status === "issued" ? "issued" : "failed",
      lastError: error instanceof Error ? error.message.slice(0, 500) : String(error),
      attempts,
      nextAttemptAt: at + backoff(attempts),
      updatedAt: at,
    };
  }
}

/** Before a domain is removed: its Cloudflare custom hostname goes too (an ACME certificate just expires). */
export async function releaseCertificate(deps: Pick<Deps, "db" | "config">, domainId: string): Promise<void> {
  const row = await certificateOf(deps, domainId);
  const config = deps.config.domains.cloudflare;
  if (row?.provider === "cloudflare" && row.externalId && config)
    await deleteCustomHostname(config, row.externalId);
}

/** The chain and the private key, for an owner running the router behind their own TLS terminator. */
export async function downloadCertificate(
  deps: Pick<Deps, "db" | "config">,
  domain: DomainRow,
): Promise<{ certificate: string; privateKey: string; expiresAt: string | null }> {
  const row = await certificateOf(deps, domain.id);
  if (!row?.certificatePem || !row.privateKeyEncrypted) {
    throw new ApiError("not_found", `${domain.hostname} has no issued certificate yet.`);
  }
  return {
    certificate: row.certificatePem,
    privateKey: await decryptSecret(deps.config.keys.encryptionKey, row.privateKeyEncrypted, keyContext(row)),
    expiresAt: iso(row.expiresAt),
  };
}

/**
 * The cron's share: ACME certificates within 30 days of expiry, failed ones whose retry time has come and
 * Cloudflare hostnames still validating, at most `limit` a run (an order takes seconds). Only verified
 * domains are renewed.
 */
export async function renewDueCertificates(deps: CertDeps, limit = 5): Promise<number> {
  const at = deps.now();
  const due = await deps.db
    .select({ domain: domains })
    .from(certificates)
    .innerJoin(domains, eq(domains.id, certificates.domainId))
    .where(
      and(
        eq(domains.status, "verified"),
        or(
          lt(certificates.nextAttemptAt, at + 1),
          and(
            eq(certificates.provider, "acme"),
            eq(certificates.status, "issued"),
            lt(certificates.expiresAt, at + RENEW_BEFORE_MS),
          ),
        ),
        inArray(certificates.status, ["issued", "failed", "pending"]),
      ),
    )
    .orderBy(asc(certificates.nextAttemptAt))
    .limit(limit);
  for (const { domain } of due) {
    try {
      await issueCertificate(deps, domain);
    } catch (error) {
      console.error("certificates: renewal failed", domain.id, error instanceof Error ? error.stack : error);
    }
  }
  return due.length;
}
