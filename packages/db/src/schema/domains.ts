// Custom domains and their certificates.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { projects } from "./projects.ts";

/** Ownership and DNS state of a custom domain (docs/custom-domains.md). */
export const DOMAIN_STATUSES = ["pending", "verified", "misconfigured"] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/**
 * A hostname a project's owner attached. It is served (a `custom` row in `routes`) only while `verified`;
 * `deployment_id` pins it to one deployment, null follows production.
 */
export const domains = sqliteTable(
  "domains",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    hostname: text("hostname").notNull(),
    /** The random value of the `_miaobu-challenge.{hostname}` TXT record that proves ownership. */
    verificationToken: text("verification_token").notNull(),
    status: text("status", { enum: DOMAIN_STATUSES }).notNull().default("pending"),
    /** What the last check found wrong, for the owner; null when nothing is. */
    detail: text("detail"),
    deploymentId: text("deployment_id"),
    verifiedAt: integer("verified_at"),
    checkedAt: integer("checked_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("domains_project_hostname_idx").on(t.projectId, t.hostname),
    index("domains_hostname_idx").on(t.hostname),
    index("domains_checked_idx").on(t.checkedAt),
  ],
);

export const CERTIFICATE_PROVIDERS = ["acme", "cloudflare"] as const;
export type CertificateProvider = (typeof CERTIFICATE_PROVIDERS)[number];
export const CERTIFICATE_STATUSES = ["pending", "issued", "failed"] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * The TLS certificate of a verified domain, one per domain. ACME: the pending http-01 challenge (answered by
 * the router), then the chain and the AES-GCM encrypted key. Cloudflare for SaaS: the custom hostname's id.
 */
export const certificates = sqliteTable(
  "certificates",
  {
    domainId: text("domain_id")
      .primaryKey()
      .references(() => domains.id, { onDelete: "cascade" }),
    hostname: text("hostname").notNull(),
    provider: text("provider", { enum: CERTIFICATE_PROVIDERS }).notNull(),
    status: text("status", { enum: CERTIFICATE_STATUSES }).notNull().default("pending"),
    challengeToken: text("challenge_token"),
    challengeResponse: text("challenge_response"),
    certificatePem: text("certificate_pem"),
    privateKeyEncrypted: text("private_key_encrypted"),
    externalId: text("external_id"),
    notBefore: integer("not_before"),
    expiresAt: integer("expires_at"),
    lastError: text("last_error"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("certificates_hostname_idx").on(t.hostname),
    index("certificates_next_idx").on(t.nextAttemptAt),
  ],
);
