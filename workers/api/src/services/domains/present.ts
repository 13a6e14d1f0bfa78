import type { DomainRow, DomainStatus } from "@miaobu/db";
import type { Config } from "../../env.ts";
import type { CertificateJson } from "../certificates/manage.ts";
import { looksLikeApex } from "./hostname.ts";

export type { DomainRow };

/** A DNS record the owner must create. */
export interface DnsRecordJson {
  type: "TXT" | "CNAME" | "A" | "AAAA" | "ALIAS";
  name: string;
  value: string;
  purpose: string;
}

/** A domain as the API shows it. */
export interface DomainJson {
  id: string;
  hostname: string;
  apex: boolean;
  status: DomainStatus;
  /** What the last check found wrong; null when nothing is. */
  detail: string | null;
  /** Pinned deployment, or null: follows production. */
  deploymentId: string | null;
  /** Whether the router answers for it now. */
  serving: boolean;
  records: DnsRecordJson[];
  /** The TLS certificate's state, on the routes that read it (list, get); null before the first order. */
  certificate?: CertificateJson | null;
  verifiedAt: string | null;
  checkedAt: string | null;
  createdAt: string;
}

/** Name of the ownership TXT record. */
export const challengeName = (hostname: string) => `_miaobu-challenge.${hostname}`;

/** The records to create: the ownership TXT, then a CNAME (subdomain) or flattened CNAME / addresses (apex). */
export function requiredRecords(config: Pick<Config, "domains">, row: DomainRow): DnsRecordJson[] {
  const target = config.domains.target;
  const ownership: DnsRecordJson = {
    type: "TXT",
    name: challengeName(row.hostname),
    value: row.verificationToken,
    purpose: "proves you own the domain; keep it while the domain is attached",
  };
  if (!looksLikeApex(row.hostname)) {
    return [
      ownership,
      { type: "CNAME", name: row.hostname, value: target, purpose: "routes visitors to Miaobu" },
    ];
  }
  return [
    ownership,
    {
      type: "ALIAS",
      name: row.hostname,
      value: target,
      purpose: `an apex cannot have a CNAME: use your provider's ALIAS, ANAME or CNAME flattening, or A/AAAA records with the addresses of ${target}`,
    },
  ];
}

/** The API's view of a domain; `productionDeploymentId` decides whether an unpinned domain serves. */
export function presentDomain(
  config: Pick<Config, "domains">,
  row: DomainRow,
  productionDeploymentId: string | null,
): DomainJson {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    hostname: row.hostname,
    apex: looksLikeApex(row.hostname),
    status: row.status,
    detail: row.detail,
    deploymentId: row.deploymentId,
    serving: row.status === "verified" && (row.deploymentId ?? productionDeploymentId) !== null,
    records: requiredRecords(config, row),
    verifiedAt: iso(row.verifiedAt),
    checkedAt: iso(row.checkedAt),
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
