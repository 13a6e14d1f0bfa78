import { branchName, projectSettings } from "@miaobu/contract";
import { ENVIRONMENTS } from "@miaobu/db";
import { randomBase32 } from "@miaobu/shared";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { analyzeRepository } from "../services/builds/analyze.ts";
import { builderTarget } from "../services/builds/builder.ts";
import { clientOf } from "../services/github/accounts.ts";
import { fromGitHubError } from "../services/github/client.ts";
import { cloneUrlFor } from "../services/github/credentials.ts";
import { importRepository } from "../services/github/import.ts";
import { listRepos, presentRepo } from "../services/github/repos.ts";
import { checkGitUrl } from "../services/projects/git-url.ts";
import { presentProject } from "../services/projects/present.ts";
import { jsonBody, validate } from "../validation.ts";

/** `owner/name` as GitHub spells them. */
const repository = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, "owner/name of a GitHub repository")
  .refine(
    (s) => !s.split("/").some((part) => part === "." || part === ".."),
    "owner/name of a GitHub repository",
  );

export const reposQuery = z.strictObject({
  q: z.string().trim().max(100).optional(),
  page: z.coerce.number().int().min(1).max(100).default(1),
  perPage: z.coerce.number().int().min(1).max(100).default(30),
});

export const analyzeBody = z.strictObject({
  repository,
  branch: branchName.optional(),
  rootDir: projectSettings.rootDir,
});

const { gitUrl: _gitUrl, ...settings } = projectSettings;

export const importBody = z.strictObject({
  repository,
  name: z.string().max(200).optional(),
  ...settings,
  env: z
    .array(
      z.strictObject({
        key: z.string().max(200),
        value: z.string(),
        environment: z.enum([...ENVIRONMENTS, "all"]).default("all"),
        secret: z.boolean().default(false),
      }),
    )
    .max(200)
    .default([]),
  forkPullRequests: z.boolean().default(false),
  webhook: z.boolean().default(true),
});

/** The app-level (and per-repository) webhook receiver on the API the request came to. */
export function githubHookUrl(requestUrl: string): string {
  return `${new URL(requestUrl).origin}/api/v1/hooks/github`;
}

/** `/api/v1/github`: the user's repositories, analysis before import, and import. */
export const githubImportRoutes = new Hono<AppEnv>()
  .get("/repos", requireAuth, validate("query", reposQuery), async (c) => {
    return c.json(await listRepos(c.get("deps"), c.get("user").id, c.req.valid("query")));
  })
  .post("/analyze", requireAuth, jsonBody(), validate("json", analyzeBody), async (c) => {
    const deps = c.get("deps");
    const userId = c.get("user").id;
    const { repository: fullName, branch, rootDir } = c.req.valid("json");
    const client = await clientOf(deps, userId);
    const repo = await client.repo(fullName).catch((error: unknown) => fromGitHubError(error, "repository"));
    checkGitUrl(deps.config, repo.clone_url, "repository");
    const url = await cloneUrlFor(deps, { gitUrl: repo.clone_url, githubRepoId: repo.id, ownerId: userId });
    const { base, targetFor } = builderTarget(c.env, deps.config.builds);
    const analysis = await analyzeRepository(
      targetFor(`analyze-${randomBase32(12)}`),
      base,
      deps.config.builds.builderSecret,
      { url: url ?? repo.clone_url, branch: branch ?? repo.default_branch, rootDir: rootDir ?? null },
    );
    return c.json({ repository: presentRepo(repo), analysis });
  })
  .post(
    "/import",
    requireAuth,
    jsonBody(() => 1024 * 1024),
    validate("json", importBody),
    async (c) => {
      const deps = c.get("deps");
      const { project, webhook } = await importRepository(
        deps,
        c.get("user").id,
        c.req.valid("json"),
        githubHookUrl(c.req.url),
      );
      return c.json({ project: presentProject(deps.config, project), webhook }, 201);
    },
  );
