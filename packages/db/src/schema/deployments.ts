// Deployments, the routes that point hostnames at them, and the content-addressed blobs they hold.

import { DEPLOYMENT_SOURCES, DEPLOYMENT_STATUSES, ENVIRONMENTS } from "@miaobu/shared/statuses";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { projects } from "./projects.ts";

export const ROUTE_KINDS = ["production", "branch", "deployment", "custom"] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

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
