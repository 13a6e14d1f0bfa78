import { branchName, gitUrl, projectSettings } from "@miaobu/contract";
import { randomBase32 } from "@miaobu/shared";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { requireAuth } from "../middleware/auth.ts";
import { analyzeRepository } from "../services/builds/analyze.ts";
import { builderTarget } from "../services/builds/builder.ts";
import { findProject } from "../services/projects/find.ts";
import { checkGitUrl, checkStoredGitUrl } from "../services/projects/git-url.ts";
import { jsonBody, validate } from "../validation.ts";

export const analyzeBody = z.strictObject({
  gitUrl,
  branch: branchName.optional(),
  rootDir: projectSettings.rootDir,
});

/** Framework detection before (`POST /analyze`) or after (`GET /projects/:p/analyze`) creating a project. */
export const analyzeRoutes = new Hono<AppEnv>()
  .post("/analyze", requireAuth, jsonBody(), validate("json", analyzeBody), async (c) => {
    const { gitUrl: url, branch, rootDir } = c.req.valid("json");
    checkGitUrl(c.get("deps").config, url);
    const { base, targetFor } = builderTarget(c.env, c.get("deps").config.builds);
    const analysis = await analyzeRepository(
      targetFor(`analyze-${randomBase32(12)}`),
      base,
      c.get("deps").config.builds.builderSecret,
      {
        url,
        branch: branch ?? "main",
        rootDir: rootDir ?? null,
      },
    );
    return c.json(analysis);
  })
  .get("/projects/:project/analyze", requireAuth, async (c) => {
    const deps = c.get("deps");
    const project = await findProject(deps, c.get("user").id, c.req.param("project"));
    const { base, targetFor } = builderTarget(c.env, deps.config.builds);
    if (!project.gitUrl)
      throw new ApiError("conflict", "This project has no git repository; set gitUrl first.");
    checkStoredGitUrl(deps.config, project.gitUrl);
    const analysis = await analyzeRepository(
      targetFor(`analyze-${randomBase32(12)}`),
      base,
      deps.config.builds.builderSecret,
      {
        url: project.gitUrl,
        branch: project.productionBranch,
        rootDir: project.rootDir,
      },
    );
    return c.json(analysis);
  });
