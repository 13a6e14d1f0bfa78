// A deployment's statuses, environments and sources, declared once for the API, its database, the CLI and the
// console.

export const DEPLOYMENT_STATUSES = [
  "uploading",
  "queued",
  "cloning",
  "installing",
  "building",
  "ready",
  "failed",
  "canceled",
  "superseded",
  /** Removed by the retention policy (docs/retention.md): its files are gone, its own URL answers 410. */
  "deleted",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Statuses a deployment never leaves: a build's log has ended, its callback token stops working. */
export const FINAL_STATUSES = ["ready", "failed", "canceled", "superseded", "deleted"] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/** Whether a status is final (an unknown one, from a newer API, is not). */
export function isFinalStatus(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** Where a deployment serves: production (the project's host and custom domains) or a preview. */
export const ENVIRONMENTS = ["production", "preview"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** What made a deployment. */
export const DEPLOYMENT_SOURCES = ["cli", "git", "hook", "console", "github"] as const;
export type DeploymentSource = (typeof DEPLOYMENT_SOURCES)[number];
