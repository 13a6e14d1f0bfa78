import type { DeploymentStatus } from "@miaobu/db";
import { FINAL_STATUSES, type FinalStatus, isFinalStatus } from "@miaobu/shared";

export { FINAL_STATUSES, type FinalStatus };

/** One step of a build with its time; `endedAt` is null while it runs. */
export interface Phase {
  name: DeploymentStatus;
  startedAt: number;
  endedAt: number | null;
}

/** Statuses the builder reports while it works, in the order they happen. */
export const RUNNING_STATUSES = ["cloning", "installing", "building", "uploading"] as const;
export type RunningStatus = (typeof RUNNING_STATUSES)[number];

/** Whether a status is final. */
export function isFinal(status: DeploymentStatus): status is FinalStatus {
  return isFinalStatus(status);
}

const ORDER: Partial<Record<DeploymentStatus, number>> = {
  queued: 0,
  cloning: 1,
  installing: 2,
  building: 3,
  uploading: 4,
};

/** Whether moving from `from` to the running status `to` goes forward (reports may repeat or arrive late). */
export function isForward(from: DeploymentStatus, to: RunningStatus): boolean {
  const a = ORDER[from];
  const b = ORDER[to];
  return a !== undefined && b !== undefined && b > a;
}

/** The phases stored in a deployment row; unreadable text counts as none. */
export function parsePhases(text: string | null): Phase[] {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as Phase[]) : [];
  } catch {
    return [];
  }
}

/** The phases after entering `status` at `at`: the open phase ends, a new one starts (and ends, if final). */
export function enterPhase(phases: Phase[], status: DeploymentStatus, at: number): Phase[] {
  const last = phases.at(-1);
  if (last?.name === status) return phases;
  const closed = phases.map((p) => (p.endedAt === null ? { ...p, endedAt: Math.max(at, p.startedAt) } : p));
  return [...closed, { name: status, startedAt: at, endedAt: isFinal(status) ? at : null }];
}
