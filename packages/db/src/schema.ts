import {
  HTML_HANDLING_MODES,
  NOT_FOUND_HANDLING_MODES,
  NOT_FOUND_MODES,
  TRAILING_SLASH_MODES,
} from "@miaobu/shared/serving";
import { DEPLOYMENT_SOURCES, DEPLOYMENT_STATUSES, ENVIRONMENTS } from "@miaobu/shared/statuses";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export * from "@miaobu/shared/scopes";
export * from "@miaobu/shared/serving";
export {
  DEPLOYMENT_SOURCES,
  DEPLOYMENT_STATUSES,
  type DeploymentSource,
  type DeploymentStatus,
  ENVIRONMENTS,
  type Environment,
} from "@miaobu/shared/statuses";

export const ROUTE_KINDS = ["production", "branch", "deployment", "custom"] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  passwordHash: text("password_hash"),
  isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
  /** The linked GitHub account (numeric id, stable across renames) and its OAuth token, AES-GCM encrypted. */
  githubId: integer("github_id").unique(),
  githubLogin: text("github_login"),
  githubTokenEncrypted: text("github_token_encrypted"),
  createdAt: integer("created_at").notNull(),
});

/** Console sessions: the cookie's JWT names one of these rows, so logging out revokes it server-side. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    /** JSON array of `TOKEN_SCOPES`; tokens issued by `auth/login` have all of them. */
    scopes: text("scopes").notNull().default('["read","deploy","admin"]'),
    expiresAt: integer("expires_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);

export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    slug: text("slug").notNull().unique(),
    productionBranch: text("production_branch").notNull().default("main"),
    productionDeploymentId: text("production_deployment_id"),
    // Git source and build settings; null means "detect" (framework, commands, output, Node version).
    gitUrl: text("git_url"),
    rootDir: text("root_dir"),
    framework: text("framework"),
    installCommand: text("install_command"),
    buildCommand: text("build_command"),
    outputDir: text("output_dir"),
    nodeVersion: text("node_version"),
    buildTimeoutSeconds: integer("build_timeout_seconds").notNull().default(1200),
    /** SHA-256 of the deploy hook secret; the secret itself is shown once when created or rotated. */
    deployHookHash: text("deploy_hook_hash").unique(),
    // How the router serves this project's deployments (docs/redirects-and-headers.md).
    htmlHandling: text("html_handling", { enum: HTML_HANDLING_MODES })
      .notNull()
      .default("auto-trailing-slash"),
    notFoundHandling: text("not_found_handling", { enum: NOT_FOUND_HANDLING_MODES })
      .notNull()
      .default("auto"),
    // The same two settings by their names before 0006, still written so that Workers of the release before
    // (a deploy in progress, a rollback) serve alike; nothing reads them. Dropped by the next release.
    trailingSlash: text("trailing_slash", { enum: TRAILING_SLASH_MODES }).notNull().default("auto"),
    notFound: text("not_found", { enum: NOT_FOUND_MODES }).notNull().default("auto"),
    /** Password hash protecting preview (branch and deployment) hosts; null means public previews. */
    previewPasswordHash: text("preview_password_hash"),
    /** Days a file of the previous production deployment is still served after a new one (version skew). */
    skewProtectionDays: integer("skew_protection_days").notNull().default(7),
    /** The imported GitHub repository (numeric id, stable across renames) and its repository webhook. */
    githubRepoId: integer("github_repo_id"),
    githubRepoFullName: text("github_repo_full_name"),
    githubHookId: integer("github_hook_id"),
    /** Build previews of pull requests from forks (their code is untrusted; off by default). */
    githubForkPullRequests: integer("github_fork_pull_requests", { mode: "boolean" })
      .notNull()
      .default(false),
    // Retention (docs/retention.md): the newest ready production and preview deployments kept, and the
    // age in days under which every deployment is kept.
    retainProduction: integer("retain_production").notNull().default(10),
    retainPreview: integer("retain_preview").notNull().default(20),
    retainDays: integer("retain_days").notNull().default(7),
    /**
     * The retention sweep's lease: while it is in the future a sweep is deleting this project's files (and
     * finalize waits); after a sweep it holds when the sweep ended, so the cron picks the least recently
     * swept projects first. Null: never swept.
     */
    sweepUntil: integer("sweep_until"),
    /** When the user last cleared the build cache: builds never restore a cache saved before it. */
    cacheClearedAt: integer("cache_cleared_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("projects_owner_idx").on(t.ownerId), index("projects_github_repo_idx").on(t.githubRepoId)],
);

export const deployments = sqliteTable(
  "deployments",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    shortId: text("short_id").notNull(),
    status: text("status", { enum: DEPLOYMENT_STATUSES }).notNull(),
    environment: text("environment", { enum: ENVIRONMENTS }).notNull(),
    branch: text("branch").notNull(),
    commitSha: text("commit_sha"),
    commitMessage: text("commit_message"),
    source: text("source", { enum: DEPLOYMENT_SOURCES }).notNull(),
    createdBy: text("created_by"),
    fileCount: integer("file_count").notNull().default(0),
    totalBytes: integer("total_bytes").notNull().default(0),
    errorMessage: text("error_message"),
    /** Detected or configured framework of a build. */
    framework: text("framework"),
    /** JSON: [{ "name": "cloning", "startedAt": ms, "endedAt": ms | null }] — each build phase with its time. */
    phases: text("phases"),
    /** SHA-256 of the token the builder uses to call back for this one deployment. */
    callbackTokenHash: text("callback_token_hash"),
    /** JSON: problems found in `_redirects` and `_headers` ([{ file, line, message }]). */
    rulesReport: text("rules_report"),
    /** Last time the builder reported; the coordinator's watchdog fails builds that stop reporting. */
    heartbeatAt: integer("heartbeat_at"),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    createdAt: integer("created_at").notNull(),
    readyAt: integer("ready_at"),
    /** Last time this deployment became production; orders the production history used by rollback. */
    promotedAt: integer("promoted_at"),
    /** The GitHub pull request a preview was built for. */
    pullRequest: integer("pull_request"),
    /** When retention deleted it (status `deleted`). */
    deletedAt: integer("deleted_at"),
    /** Built "without cache": nothing restored, and the new cache replaces the branch's old one. */
    skipCache: integer("skip_cache", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    index("deployments_project_created_idx").on(t.projectId, t.createdAt),
    uniqueIndex("deployments_project_short_idx").on(t.projectId, t.shortId),
  ],
);

/** Hostname → deployment. Promotion and rollback rewrite these rows in one batch. */
export const routes = sqliteTable(
  "routes",
  {
    hostname: text("hostname").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    deploymentId: text("deployment_id").notNull(),
    kind: text("kind", { enum: ROUTE_KINDS }).notNull(),
    /** For branch routes, the branch name it follows. */
    branch: text("branch"),
    /**
     * For production routes: the deployment that was production before, whose files are still served for
     * paths the current one lacks until `previous_until` (version skew protection).
     */
    previousDeploymentId: text("previous_deployment_id"),
    previousUntil: integer("previous_until"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("routes_project_idx").on(t.projectId)],
);

/** Blobs a project has in storage; written after each verified upload. */
export const blobs = sqliteTable(
  "blobs",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    hash: text("hash").notNull(),
    size: integer("size").notNull(),
    createdAt: integer("created_at").notNull(),
    /**
     * Last time a new deployment's manifest named this blob (0: never since its upload). The retention
     * sweep deletes only blobs whose `created_at` and `referenced_at` are both older than the sweep.
     */
    referencedAt: integer("referenced_at").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hash] })],
);

/** A project's environment variables; values are AES-GCM encrypted under `MIAOBU_ENCRYPTION_KEY`. */
export const envVars = sqliteTable(
  "env_vars",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environment: text("environment", { enum: ENVIRONMENTS }).notNull(),
    key: text("key").notNull(),
    valueEncrypted: text("value_encrypted").notNull(),
    secret: integer("secret", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.environment, t.key] })],
);

/** GitHub webhook deliveries already handled, by `X-GitHub-Delivery`, so a redelivery does nothing twice. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    event: text("event").notNull(),
    outcome: text("outcome"),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("webhook_deliveries_received_idx").on(t.receivedAt)],
);

/** The one comment Miaobu keeps on a pull request per project, edited in place on each new commit. */
export const githubPullRequestComments = sqliteTable(
  "github_pull_request_comments",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    commentId: integer("comment_id").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.number] })],
);

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
