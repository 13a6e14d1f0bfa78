import type { HtmlHandling, NotFoundHandling } from "./resolve-asset.ts";

/** What a hostname points at: one row of the `routes` table with the serving settings of its project. */
export interface Route {
  projectId: string;
  deploymentId: string;
  kind: "production" | "branch" | "deployment" | "custom";
  htmlHandling: HtmlHandling;
  notFoundHandling: NotFoundHandling;
  /** PBKDF2 hash of the preview password; null when previews are public. */
  previewPasswordHash: string | null;
  skewProtectionDays: number;
  /** Retention deleted the deployment (docs/retention.md): only its own host still points at it, for a 410. */
  deleted: boolean;
  /** The deployment this host served before, still answering for files the current one lacks until `until`. */
  previous: { deploymentId: string; until: number } | null;
}

/** The row ROUTE_QUERY returns; the per-colo tier stores it as it is (route-edge.ts). */
export interface RouteRow {
  project_id: string;
  deployment_id: string;
  kind: Route["kind"];
  previous_deployment_id: string | null;
  previous_until: number | null;
  html_handling: HtmlHandling;
  not_found_handling: NotFoundHandling;
  preview_password_hash: string | null;
  skew_protection_days: number;
  deleted: number | null;
}

// One primary-key lookup on routes joined to its project and its deployment by primary key: its cost does
// not depend on how many deployments or hosts a project has.
export const ROUTE_QUERY = `SELECT r.project_id, r.deployment_id, r.kind, r.previous_deployment_id, r.previous_until,
  p.html_handling, p.not_found_handling, p.preview_password_hash, p.skew_protection_days, d.status = 'deleted' AS deleted
  FROM routes r JOIN projects p ON p.id = r.project_id LEFT JOIN deployments d ON d.id = r.deployment_id
  WHERE r.hostname = ?`;

/** The route a row describes. */
export function toRoute(row: RouteRow): Route {
  return {
    projectId: row.project_id,
    deploymentId: row.deployment_id,
    kind: row.kind,
    htmlHandling: row.html_handling,
    notFoundHandling: row.not_found_handling,
    previewPasswordHash: row.preview_password_hash,
    skewProtectionDays: row.skew_protection_days,
    deleted: row.deleted === 1,
    previous:
      row.previous_deployment_id !== null && row.previous_until !== null
        ? { deploymentId: row.previous_deployment_id, until: row.previous_until }
        : null,
  };
}

/** Branch and deployment hosts are previews: they must not be indexed, and may need a password. */
export function isPreview(route: Route): boolean {
  return route.kind === "branch" || route.kind === "deployment";
}

/** The previous deployment whose files still answer at `now`, if skew protection is on. */
export function skewFallback(route: Route, now: number): string | null {
  if (!route.previous || route.skewProtectionDays <= 0 || route.previous.until <= now) return null;
  return route.previous.deploymentId === route.deploymentId ? null : route.previous.deploymentId;
}
