import { projects } from "@miaobu/db";
import { newId, slugProblem } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import type { ProjectRow } from "./present.ts";

export interface CreateProjectInput {
  name: string;
  productionBranch?: string | undefined;
}

/** Creates a project; its name becomes its hostname, so it is unique across all users. */
export async function createProject(
  { db, now }: Pick<Deps, "db" | "now">,
  ownerId: string,
  input: CreateProjectInput,
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
    productionBranch: input.productionBranch ?? "main",
    productionDeploymentId: null,
    createdAt: at,
    updatedAt: at,
  };
  // The unique index still guards the race between the check above and this insert.
  const inserted = await db.insert(projects).values(row).onConflictDoNothing().returning({ id: projects.id });
  if (inserted.length === 0) throw new ApiError("conflict", `The name "${slug}" is taken; choose another.`);
  return row;
}
