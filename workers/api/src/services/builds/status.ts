import { type DeploymentStatus, deployments } from "@miaobu/db";
import { and, eq, isNull } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import { enterPhase, isFinal, parsePhases } from "./phases.ts";

/** Columns a status change may write along with the status. */
export type StatusColumns = Partial<
  Pick<
    DeploymentRow,
    | "errorMessage"
    | "commitSha"
    | "commitMessage"
    | "framework"
    | "heartbeatAt"
    | "fileCount"
    | "totalBytes"
    | "startedAt"
  >
>;

const ATTEMPTS = 5;

/**
 * Moves a deployment to `to` at `at` when `allowed(current row)` says so, recording the phase; a final status
 * also sets `finished_at`. The write is a compare-and-set on status and phases, so reports racing each other
 * (the builder, the watchdog, a cancel) never lose a phase or resurrect a finished build. Returns the new row,
 * or null when the change is not allowed (or the deployment is gone).
 */
export async function changeStatus(
  { db }: Pick<Deps, "db">,
  deploymentId: string,
  to: DeploymentStatus,
  at: number,
  allowed: (row: DeploymentRow) => boolean,
  columns: StatusColumns = {},
): Promise<DeploymentRow | null> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const row = await db.select().from(deployments).where(eq(deployments.id, deploymentId)).get();
    if (!row || isFinal(row.status) || !allowed(row)) return null;
    const phases = JSON.stringify(enterPhase(parsePhases(row.phases), to, at));
    const updated = await db
      .update(deployments)
      .set({ ...columns, status: to, phases, ...(isFinal(to) ? { finishedAt: at } : {}) })
      .where(
        and(
          eq(deployments.id, deploymentId),
          eq(deployments.status, row.status),
          row.phases === null ? isNull(deployments.phases) : eq(deployments.phases, row.phases),
        ),
      )
      .returning();
    const [first] = updated;
    if (first) return first;
  }
  throw new Error(`the status of ${deploymentId} kept changing under ${ATTEMPTS} attempts`);
}

/** Records that a ready build has finished (`finished_at` and the `ready` phase); idempotent. */
export async function markReadyFinished(
  { db }: Pick<Deps, "db">,
  row: DeploymentRow,
  at: number,
): Promise<void> {
  if (row.status !== "ready" || row.finishedAt !== null) return;
  const phases = JSON.stringify(enterPhase(parsePhases(row.phases), "ready", row.readyAt ?? at));
  await db
    .update(deployments)
    .set({ finishedAt: row.readyAt ?? at, phases })
    .where(and(eq(deployments.id, row.id), isNull(deployments.finishedAt)));
}
