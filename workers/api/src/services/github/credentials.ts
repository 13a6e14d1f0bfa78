import type { Deps } from "../../env.ts";
import type { ProjectRow } from "../projects/present.ts";
import { githubTokenOf } from "./accounts.ts";

/**
 * The URL the builder clones a project from. For an imported GitHub repository it carries the owner's
 * GitHub token as the password (`x-access-token:…@`); the builder turns URL credentials into an HTTP header
 * given to git through its environment only (docs/builder-protocol.md), so the build step never sees it.
 */
export async function cloneUrlFor(
  deps: Pick<Deps, "db" | "config">,
  project: Pick<ProjectRow, "gitUrl" | "githubRepoId" | "ownerId">,
): Promise<string | null> {
  if (!project.gitUrl) return null;
  if (project.githubRepoId === null || !deps.config.github) return project.gitUrl;
  const token = await githubTokenOf(deps, project.ownerId);
  if (!token) return project.gitUrl;
  const url = new URL(project.gitUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:") return project.gitUrl;
  url.username = "x-access-token";
  url.password = token;
  return url.toString();
}
