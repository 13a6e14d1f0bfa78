import { projects } from "@miaobu/db";
import { randomBase32 } from "@miaobu/shared";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { notFound } from "../../errors.ts";
import { sha256Hex } from "../../lib/crypto.ts";
import { findProject } from "../projects/find.ts";
import type { ProjectRow } from "../projects/present.ts";

export const DEPLOY_HOOK_PREFIX = "mbh_";
const MAX_SECRET_LENGTH = 100;

/** Creates or replaces the project's deploy hook; the secret is returned once, only its hash is kept. */
export async function rotateDeployHook(
  deps: Pick<Deps, "db" | "now">,
  ownerId: string,
  projectKey: string,
): Promise<{ project: ProjectRow; secret: string }> {
  const project = await findProject(deps, ownerId, projectKey);
  const secret = `${DEPLOY_HOOK_PREFIX}${randomBase32(40)}`;
  const deployHookHash = await sha256Hex(secret);
  const updatedAt = deps.now();
  await deps.db
    .update(projects)
    .set({ deployHookHash, updatedAt })
    .where(and(eq(projects.id, project.id), eq(projects.ownerId, ownerId)));
  return { project: { ...project, deployHookHash, updatedAt }, secret };
}

/** Removes the project's deploy hook; removing one that does not exist is not an error. */
export async function removeDeployHook(
  deps: Pick<Deps, "db" | "now">,
  ownerId: string,
  projectKey: string,
): Promise<void> {
  const project = await findProject(deps, ownerId, projectKey);
  await deps.db
    .update(projects)
    .set({ deployHookHash: null, updatedAt: deps.now() })
    .where(and(eq(projects.id, project.id), eq(projects.ownerId, ownerId)));
}

/** The project a deploy hook secret belongs to; 404 for any other string, rotated secrets included. */
export async function projectOfHook({ db }: Pick<Deps, "db">, secret: string): Promise<ProjectRow> {
  if (!secret.startsWith(DEPLOY_HOOK_PREFIX) || secret.length > MAX_SECRET_LENGTH) {
    throw notFound("deploy hook");
  }
  const row = await db
    .select()
    .from(projects)
    .where(eq(projects.deployHookHash, await sha256Hex(secret)))
    .get();
  if (!row) throw notFound("deploy hook");
  return row;
}
