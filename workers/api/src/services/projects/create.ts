import type { ProjectSettingsInput } from "@miaobu/contract";
import { projects } from "@miaobu/db";
import { newId, slugProblem } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import type { ProjectRow } from "./present.ts";
import { settingsColumns } from "./settings.ts";

export interface CreateProjectInput extends ProjectSettingsInput {
  name: string;
}

/** Columns only the GitHub import sets. */
export type GitHubColumns = Partial<
  Pick<ProjectRow, "githubRepoId" | "githubRepoFullName" | "githubHookId" | "githubForkPullRequests">
>;

/** Creates a project; its name becomes its hostname, so it is unique across all users. */
export async function createProject(
  { db, now }: Pick<Deps, "db" | "now">,
  ownerId: string,
  input: CreateProjectInput,
  github: GitHubColumns = {},
): Promise<ProjectRow> {
  const slug = input.name.trim().toLowerCase();
  const problem = slugProblem(slug);
  if (problem) {
    throw new ApiError("invalid_input", `"${slug}" cannot be a project name: ${problem}.`, {
      errors: [{ field: "name", message: problem }],
    });
  }
  const taken = await db.select({ id: projects.id }).from(projects).where(eq(projects.slug, slug)).get();
  if (taken) throw new ApiError("conflict", `The name "${slug}" is taken; choose another.`);
  const at = now();
  const row: ProjectRow = {
    id: newId("project", at),
    ownerId,
    slug,
    productionBranch: "main",
    productionDeploymentId: null,
    gitUrl: null,
    rootDir: null,
    framework: null,
    installCommand: null,
    buildCommand: null,
    outputDir: null,
    nodeVersion: null,
    buildTimeoutSeconds: 1200,
    deployHookHash: null,
    htmlHandling: "auto-trailing-slash",
    notFoundHandling: "auto",
    trailingSlash: "auto",
    notFound: "auto",
    previewPasswordHash: null,
    skewProtectionDays: 7,
    githubRepoId: null,
    githubRepoFullName: null,
    githubHookId: null,
    githubForkPullRequests: false,
    retainProduction: 10,
    retainPreview: 20,
    retainDays: 7,
    sweepUntil: null,
    cacheClearedAt: null,
    createdAt: at,
    updatedAt: at,
    ...(await settingsColumns(input)),
    ...github,
  };
  // The unique index still guards the race between the check above and this insert.
  const inserted = await db.insert(projects).values(row).onConflictDoNothing().returning({ id: projects.id });
  if (inserted.length === 0) throw new ApiError("conflict", `The name "${slug}" is taken; choose another.`);
  return row;
}
