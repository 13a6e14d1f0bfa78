import { branchName } from "@miaobu/contract";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { requireAuth } from "../middleware/auth.ts";
import { triggerGate } from "../middleware/rate-limit.ts";
import { schedulerOf } from "../services/builds/clients.ts";
import { removeDeployHook, rotateDeployHook } from "../services/builds/hooks.ts";
import { isFinal } from "../services/builds/phases.ts";
import { triggerBuild } from "../services/builds/trigger.ts";
import { findDeployment } from "../services/deployments/find.ts";
import { presentOne } from "../services/deployments/present.ts";
import { findProject } from "../services/projects/find.ts";
import { presentProject } from "../services/projects/present.ts";
import { jsonBody, validate } from "../validation.ts";

/** A commit id as a trigger may name it: 7 to 64 hex digits (SHA-1 or SHA-256 object names). */
export const commitId = z.string().regex(/^[0-9a-fA-F]{7,64}$/, "expected a hex commit id");

export const triggerBody = z.strictObject({
  branch: branchName.optional(),
  commit: commitId.optional(),
  /** `false`: build without cache (restore nothing; this build's cache replaces the branch's). */
  cache: z.boolean().optional(),
});

/** The URL a deploy hook is called at, on the API the request came to. */
export function hookUrl(requestUrl: string, secret: string): string {
  return `${new URL(requestUrl).origin}/api/v1/hooks/deploy/${secret}`;
}

/** Build triggers, deploy hook management and cancellation, mounted at `/api/v1`. */
export const buildRoutes = new Hono<AppEnv>()
  .post("/projects/:project/builds", requireAuth, jsonBody(), validate("json", triggerBody), async (c) => {
    const deps = c.get("deps");
    const user = c.get("user");
    const project = await findProject(deps, user.id, c.req.param("project"));
    const { branch, commit, cache } = c.req.valid("json");
    // API tokens are what the CLI uses; the console's session-authenticated trigger will say "console".
    const deployment = await triggerBuild(
      { ...deps, scheduler: schedulerOf(c.env), gate: triggerGate(c) },
      project,
      { branch, commit, source: "cli", createdBy: user.id, skipCache: cache === false },
    );
    return c.json({ deployment: await presentOne(deps, project, deployment) }, 202);
  })
  .post("/projects/:project/deploy-hook", requireAuth, async (c) => {
    const deps = c.get("deps");
    const { project, secret } = await rotateDeployHook(deps, c.get("user").id, c.req.param("project"));
    return c.json(
      {
        hook: { secret, url: hookUrl(c.req.url, secret) },
        project: presentProject(deps.config, project),
      },
      201,
    );
  })
  .delete("/projects/:project/deploy-hook", requireAuth, async (c) => {
    await removeDeployHook(c.get("deps"), c.get("user").id, c.req.param("project"));
    return c.body(null, 204);
  })
  .post("/deployments/:id/cancel", requireAuth, async (c) => {
    const deps = c.get("deps");
    const { project, deployment } = await findDeployment(deps, c.get("user").id, c.req.param("id"));
    if (isFinal(deployment.status)) {
      throw new ApiError("conflict", `The deployment is already ${deployment.status}.`);
    }
    if (deployment.status === "uploading" && deployment.callbackTokenHash === null) {
      throw new ApiError("conflict", "Only builds can be canceled; this deployment is an upload.");
    }
    const canceled = await schedulerOf(c.env).cancel(project.id, deployment.id);
    if (!canceled) {
      const now = await findDeployment(deps, c.get("user").id, deployment.id);
      throw new ApiError("conflict", `The deployment is already ${now.deployment.status}.`);
    }
    return c.json({ deployment: await presentOne(deps, project, canceled) });
  });
