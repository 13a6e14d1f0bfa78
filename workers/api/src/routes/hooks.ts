import { branchName } from "@miaobu/contract";
import { deploymentHost } from "@miaobu/shared";
import { Hono } from "hono";
import { z } from "zod";
import { type AppEnv, siteUrl } from "../env.ts";
import { triggerGate } from "../middleware/rate-limit.ts";
import { schedulerOf } from "../services/builds/clients.ts";
import { projectOfHook } from "../services/builds/hooks.ts";
import { triggerBuild } from "../services/builds/trigger.ts";
import { validate } from "../validation.ts";

export const hookQuery = z.object({
  branch: branchName.optional(),
  /** `false`: build without cache, as `cache: false` on a trigger. */
  cache: z.enum(["true", "false"]).optional(),
});

/**
 * Deploy hooks, mounted at `/api/v1/hooks`: no API token, the secret in the path is the credential. An
 * unknown (or rotated) secret answers 404 like any missing resource, and the answer names nothing but the
 * new deployment. Per-IP and per-project rate limits plug in with the rate-limiting issue.
 */
export const hookRoutes = new Hono<AppEnv>().post(
  "/deploy/:secret",
  validate("query", hookQuery),
  async (c) => {
    const deps = c.get("deps");
    const project = await projectOfHook(deps, c.req.param("secret"));
    const { branch, cache } = c.req.valid("query");
    const row = await triggerBuild(
      { ...deps, scheduler: schedulerOf(c.env), gate: triggerGate(c) },
      project,
      { branch, source: "hook", createdBy: null, skipCache: cache === "false" },
    );
    const { config } = deps;
    return c.json(
      {
        deployment: {
          id: row.id,
          shortId: row.shortId,
          project: project.slug,
          status: row.status,
          branch: row.branch,
          environment: row.environment,
          url: siteUrl(config, deploymentHost(row.shortId, project.slug, config.sitesBase)),
          createdAt: new Date(row.createdAt).toISOString(),
          skipCache: row.skipCache,
        },
      },
      202,
    );
  },
);
