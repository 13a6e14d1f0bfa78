// The API's contract: every migrated route declared once (docs/contract.md). Consumers that only need the
// shapes import types from here (`import type`), which pulls no code into their bundles.
import type { DeclaredRoute } from "./declare.ts";
import * as deployments from "./deployments.ts";
import * as projects from "./projects.ts";

export * from "./declare.ts";
export * from "./deployments.ts";
export * from "./inputs.ts";
export * from "./problems.ts";
export * from "./projects.ts";

/** Every declared route; the rest of the API is still described by hand (workers/api/src/openapi). */
export const declaredRoutes: readonly DeclaredRoute[] = [
  projects.createProject,
  projects.listProjects,
  projects.getProject,
  projects.updateProject,
  projects.deleteProject,
  deployments.createDeployment,
  deployments.listDeployments,
  deployments.rollbackProject,
  deployments.getDeployment,
  deployments.listDeploymentFiles,
  deployments.promoteDeployment,
  deployments.finalizeDeployment,
];
