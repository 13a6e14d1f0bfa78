// Projects and their environment variables.

import {
  HTML_HANDLING_MODES,
  NOT_FOUND_HANDLING_MODES,
  NOT_FOUND_MODES,
  TRAILING_SLASH_MODES,
} from "@miaobu/shared/serving";
import { ENVIRONMENTS } from "@miaobu/shared/statuses";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./accounts.ts";

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
