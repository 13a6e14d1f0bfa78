// The shapes of docs/api.md that the console reads.

export interface User {
  id: string;
  email: string;
  name: string | null;
}

/** Projects and deployments as the API's contract declares them: a change there fails type-checking here. */
export type { Deployment, DeploymentPage, Phase, Project, RoutedDeployment } from "@miaobu/contract";
export type { HtmlHandling, NotFoundHandling } from "@miaobu/shared/serving";

import type { DeploymentStatus } from "@miaobu/shared/statuses";

export { type DeploymentStatus, isFinalStatus } from "@miaobu/shared/statuses";

export interface Analysis {
  framework: { id: string; name: string } | null;
  installCommand: string | null;
  buildCommand: string | null;
  outputDir: string | null;
  nodeVersion: string | null;
  packageManager: string | null;
  reasons: string[];
}

export type Environment = "production" | "preview";

export interface EnvVar {
  key: string;
  environment: Environment;
  secret: boolean;
  value: string | null;
  updatedAt: string;
}

export type Scope = "read" | "deploy" | "admin";

export interface ApiToken {
  id: string;
  name: string;
  scopes: Scope[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  current: boolean;
}

export interface Providers {
  local: boolean;
  github: { enabled: boolean; startUrl: string | null };
}

/** One line of a build log, as the BuildLog Durable Object sends it. */
export interface LogLine {
  t: number;
  stream: "stdout" | "stderr" | "system";
  text: string;
}

export type LogMessage =
  | { type: "batch"; seq: number; lines: LogLine[] }
  | { type: "end"; status: DeploymentStatus };

export type DomainStatus = "pending" | "verified" | "misconfigured";

/** A DNS record the owner of a custom domain creates at their DNS provider. */
export interface DnsRecord {
  type: "TXT" | "CNAME" | "ALIAS";
  name: string;
  value: string;
  purpose: string;
}

export type CertificateStatus = "pending" | "issued" | "failed";

export interface Certificate {
  provider: "acme" | "cloudflare";
  status: CertificateStatus;
  notBefore: string | null;
  expiresAt: string | null;
  lastError: string | null;
  attempts: number;
  nextAttemptAt: string | null;
}

export interface Domain {
  id: string;
  hostname: string;
  apex: boolean;
  status: DomainStatus;
  detail: string | null;
  /** Pinned deployment; null follows production. */
  deploymentId: string | null;
  serving: boolean;
  records: DnsRecord[];
  verifiedAt: string | null;
  checkedAt: string | null;
  createdAt: string;
  /** In list and get answers; absent from add, verify and pin answers. */
  certificate?: Certificate | null;
}

/** The answer of `DELETE /api/v1/projects/:project/cache`. */
export interface ClearedCache {
  clearedAt: string;
  /** Cache archives deleted from storage, and their bytes. */
  archives: { deleted: number; bytes: number };
}
