import { deployments } from "@miaobu/db";
import { and, eq, notInArray } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import { FINAL_STATUSES, isForward, type RunningStatus } from "./phases.ts";
import { changeStatus, type StatusColumns } from "./status.ts";

/** A report of the builder (`POST /api/v1/builds/:id/events`, docs/builder-protocol.md). */
export interface BuildEvent {
  status: RunningStatus | "failed" | "canceled";
  at?: number | undefined;
  heartbeat?: boolean | undefined;
  commitSha?: string | undefined;
  commitMessage?: string | undefined;
  framework?: string | undefined;
  error?: string | undefined;
}

// The builder's clock is trusted for phase times only within this distance of ours.
const CLOCK_SKEW_MS = 5 * 60_000;

function metadata(event: BuildEvent): StatusColumns {
  const out: StatusColumns = {};
  if (event.commitSha !== undefined) out.commitSha = event.commitSha;
  if (event.commitMessage !== undefined) out.commitMessage = event.commitMessage;
  if (event.framework !== undefined) out.framework = event.framework;
  return out;
}

/** Records the heartbeat and any metadata of a running build; null when it has finished. */
async function touch(
  { db }: Pick<Deps, "db">,
  deploymentId: string,
  at: number,
  columns: StatusColumns,
): Promise<DeploymentRow | null> {
  const [row] = await db
    .update(deployments)
    .set({ ...columns, heartbeatAt: at })
    .where(and(eq(deployments.id, deploymentId), notInArray(deployments.status, [...FINAL_STATUSES])))
    .returning();
  return row ?? null;
}

/**
 * Applies one builder report: a heartbeat, a step forward (`cloning` → … → `uploading`, each with its time in
 * `phases`; repeated or late reports count as heartbeats), or the end (`failed` with its reason, `canceled`).
 * Answers the deployment as it is now, or null when it had already finished.
 */
export async function applyEvent(
  deps: Pick<Deps, "db" | "now">,
  deploymentId: string,
  event: BuildEvent,
): Promise<DeploymentRow | null> {
  const now = deps.now();
  const at = event.at !== undefined && Math.abs(event.at - now) <= CLOCK_SKEW_MS ? event.at : now;
  const columns = metadata(event);
  if (event.heartbeat === true) return touch(deps, deploymentId, now, columns);
  const { status } = event;
  if (status === "failed" || status === "canceled") {
    const error = event.error ?? (status === "failed" ? "The build failed." : null);
    return changeStatus(deps, deploymentId, status, at, () => true, {
      ...columns,
      heartbeatAt: now,
      errorMessage: error,
    });
  }
  const moved = await changeStatus(deps, deploymentId, status, at, (row) => isForward(row.status, status), {
    ...columns,
    heartbeatAt: now,
  });
  return moved ?? touch(deps, deploymentId, now, columns);
}
