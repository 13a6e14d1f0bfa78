import { type DeploymentSource, deployments } from "@miaobu/db";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { newDeploymentRow } from "../deployments/new-row.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import { checkStoredGitUrl } from "../projects/git-url.ts";
import type { ProjectRow } from "../projects/present.ts";
import type { Scheduler } from "./clients.ts";
import { enterPhase } from "./phases.ts";
import { changeStatus } from "./status.ts";

export interface TriggerInput {
  branch?: string | undefined;
  commit?: string | null | undefined;
  source: DeploymentSource;
  createdBy: string | null;
  /** The GitHub pull request a preview is built for. */
  pullRequest?: number | null | undefined;
  /** Build without cache: restore nothing, and let this build's cache replace the branch's. */
  skipCache?: boolean | undefined;
}

/**
 * Decides whether a project may start another build now. The per-project rate limit of deploy triggers
 * (a later issue) plugs in here, for the API, the CLI and deploy hooks alike.
 */
export interface TriggerGate {
  admit(project: ProjectRow): Promise<void>;
}

/** Admits every trigger, until rate limiting arrives. */
export const openGate: TriggerGate = { admit: async () => {} };

/**
 * Writes a `queued` build deployment and hands it to the project's coordinator. 409 without a git URL, or
 * with one the git URL policy now refuses (stored before it).
 */
export async function triggerBuild(
  deps: Pick<Deps, "db" | "now" | "config"> & { scheduler: Scheduler; gate: TriggerGate },
  project: ProjectRow,
  input: TriggerInput,
): Promise<DeploymentRow> {
  if (!project.gitUrl) {
    throw new ApiError(
      "conflict",
      "The project has no git repository to build; set one with `PATCH /api/v1/projects/:project` { gitUrl }.",
    );
  }
  checkStoredGitUrl(deps.config, project.gitUrl);
  await deps.gate.admit(project);
  const at = deps.now();
  const row = newDeploymentRow(project, at, {
    status: "queued",
    branch: input.branch,
    commitSha: input.commit ?? null,
    source: input.source,
    createdBy: input.createdBy,
    framework: project.framework,
    phases: JSON.stringify(enterPhase([], "queued", at)),
    pullRequest: input.pullRequest ?? null,
    skipCache: input.skipCache ?? false,
  });
  await deps.db.insert(deployments).values(row);
  try {
    await deps.scheduler.enqueue(project.id, row.id);
  } catch (error) {
    // A queued row nobody coordinates would wait forever; fail it so the user sees why.
    await changeStatus(deps, row.id, "failed", deps.now(), () => true, {
      errorMessage: "The build could not be scheduled; try again.",
    });
    throw error;
  }
  const current = await deps.db.select().from(deployments).where(eq(deployments.id, row.id)).get();
  return current ?? row;
}
