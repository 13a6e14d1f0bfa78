import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import type { ProjectRow } from "../projects/present.ts";
import { findDeployment } from "./find.ts";
import type { DeploymentRow } from "./present.ts";
import { makeProduction } from "./routes.ts";

/** Makes any ready deployment of the owner's production; 409 when it is not ready. */
export async function promoteDeployment(
  deps: Pick<Deps, "db" | "now" | "config" | "routeEvents">,
  ownerId: string,
  deploymentId: string,
): Promise<{ project: ProjectRow; deployment: DeploymentRow }> {
  const { project, deployment } = await findDeployment(deps, ownerId, deploymentId);
  if (deployment.status !== "ready") {
    throw new ApiError(
      "conflict",
      `The deployment is ${deployment.status}; only a ready one can be promoted.`,
    );
  }
  return makeProduction(deps, project, deployment);
}
