// The shapes of docs/api.md that the CLI reads.

export interface User {
  id: string;
  email: string;
  name: string | null;
}

/** Projects and deployments as the API's contract declares them: a change there fails type-checking here. */
export type {
  CreatedDeployment,
  Deployment,
  DeploymentFiles,
  DeploymentPage,
  ExportedFile,
  Project,
  ProjectPage,
  RoutedDeployment,
  RuleProblem,
  UploadLimits,
} from "@miaobu/contract";

/** An environment variable; `value` is null for secrets. */
export interface EnvVar {
  key: string;
  environment: "production" | "preview";
  secret: boolean;
  value: string | null;
  updatedAt: string;
}

/** An API token as listed (never its secret). */
export interface TokenInfo {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string;
  lastUsedAt: string | null;
  createdAt: string;
  current: boolean;
}

/** A custom domain (docs/custom-domains.md). */
export interface Domain {
  id: string;
  hostname: string;
  apex: boolean;
  status: "pending" | "verified" | "misconfigured";
  detail: string | null;
  deploymentId: string | null;
  serving: boolean;
  records: { type: string; name: string; value: string; purpose: string }[];
  certificate?: Certificate | null;
  verifiedAt: string | null;
  checkedAt: string | null;
  createdAt: string;
}

/** A custom domain's TLS certificate (never its key). */
export interface Certificate {
  provider: "acme" | "cloudflare";
  status: "pending" | "issued" | "failed";
  notBefore: string | null;
  expiresAt: string | null;
  lastError: string | null;
  attempts: number;
  nextAttemptAt: string | null;
}

/** The answer of `DELETE /api/v1/projects/:project/cache`. */
export interface ClearedCache {
  clearedAt: string;
  /** Cache archives deleted from storage, and their bytes. */
  archives: { deleted: number; bytes: number };
}

/** The answer of `POST /api/v1/projects/:project/prune`. */
export interface PruneReport {
  dryRun: boolean;
  kept: { id: string; shortId: string; reason: string }[];
  deleted: { id: string; shortId: string; environment: string; branch: string; createdAt: string }[];
  /** `skipped` says why no blob was deleted although some may be unreferenced. */
  blobs: { deleted: number; bytes: number; skipped?: string };
}
