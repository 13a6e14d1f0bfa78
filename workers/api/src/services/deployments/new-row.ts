import type { DeploymentSource, DeploymentStatus } from "@miaobu/db";
import { newId, randomBase32 } from "@miaobu/shared";
import type { ProjectRow } from "../projects/present.ts";
import type { DeploymentRow } from "./present.ts";

type NewDeployment = Partial<DeploymentRow> & {
  status: DeploymentStatus;
  source: DeploymentSource;
  createdBy: string | null;
  /** Defaults to the production branch; decides the environment. */
  branch?: string | undefined;
};

/** A new deployment row of `project`: fresh ids, every column at its starting value, then `init`. */
export function newDeploymentRow(
  project: Pick<ProjectRow, "id" | "productionBranch">,
  at: number,
  init: NewDeployment,
): DeploymentRow {
  const branch = init.branch ?? project.productionBranch;
  return {
    id: newId("deployment", at),
    projectId: project.id,
    shortId: randomBase32(8),
    commitSha: null,
    commitMessage: null,
    fileCount: 0,
    totalBytes: 0,
    errorMessage: null,
    framework: null,
    phases: null,
    callbackTokenHash: null,
    rulesReport: null,
    heartbeatAt: null,
    startedAt: null,
    finishedAt: null,
    readyAt: null,
    promotedAt: null,
    pullRequest: null,
    deletedAt: null,
    skipCache: false,
    createdAt: at,
    ...init,
    branch,
    environment: branch === project.productionBranch ? "production" : "preview",
  };
}
