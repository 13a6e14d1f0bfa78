import { deployments } from "@miaobu/db";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import { decryptedEnvironment } from "../env/vars.ts";
import { cloneUrlFor } from "../github/credentials.ts";
import type { ProjectRow } from "../projects/present.ts";
import type { BuildRequest } from "./builder.ts";

/**
 * Marks a queued build as started, holding one of the global build slots. The global limit is counted in D1,
 * in the same statement that claims the slot: a build holds a slot from `started_at` until `finished_at`, so
 * the count can never drift from the deployments themselves (no lease to leak when an object is reset), and
 * one SQL statement is atomic in D1, so two coordinators cannot both take the last slot.
 */
export async function claimStart(
  { db }: Pick<Deps, "db">,
  deploymentId: string,
  tokenHash: string,
  at: number,
  globalLimit: number,
): Promise<"claimed" | "full" | "gone"> {
  const claimed = await db
    .update(deployments)
    .set({ startedAt: at, heartbeatAt: at, callbackTokenHash: tokenHash })
    .where(
      and(
        eq(deployments.id, deploymentId),
        eq(deployments.status, "queued"),
        isNull(deployments.startedAt),
        sql`(select count(*) from deployments as running where running.started_at is not null and running.finished_at is null) < ${globalLimit}`,
      ),
    )
    .returning({ id: deployments.id });
  if (claimed.length > 0) return "claimed";
  const row = await db
    .select({ status: deployments.status, startedAt: deployments.startedAt })
    .from(deployments)
    .where(eq(deployments.id, deploymentId))
    .get();
  return row?.status === "queued" && row.startedAt === null ? "full" : "gone";
}

/** Gives a claimed slot back when the builder could not take the build yet; it stays queued. */
export async function unclaimStart({ db }: Pick<Deps, "db">, deploymentId: string): Promise<void> {
  await db
    .update(deployments)
    .set({ startedAt: null, heartbeatAt: null, callbackTokenHash: null })
    .where(and(eq(deployments.id, deploymentId), eq(deployments.status, "queued")));
}

/** The decrypted environment variables of a build's environment and which of them are secret. */
export async function buildEnvironment(
  deps: Pick<Deps, "db" | "config">,
  project: ProjectRow,
  environment: DeploymentRow["environment"],
): Promise<{ env: Record<string, string>; secretEnvKeys: string[] }> {
  return decryptedEnvironment(deps, project.id, environment);
}

/** The `POST /builds` body for a deployment (docs/builder-protocol.md). */
export async function buildRequestFor(
  deps: Pick<Deps, "db" | "config">,
  project: ProjectRow,
  deployment: DeploymentRow,
  token: string,
): Promise<BuildRequest | null> {
  const url = await cloneUrlFor(deps, project);
  if (!url) return null;
  const { env, secretEnvKeys } = await buildEnvironment(deps, project, deployment.environment);
  const { config } = deps;
  return {
    deploymentId: deployment.id,
    project: { id: project.id, name: project.slug },
    source: {
      url,
      branch: deployment.branch,
      commit: deployment.commitSha,
      rootDir: project.rootDir,
    },
    settings: {
      framework: project.framework,
      installCommand: project.installCommand,
      buildCommand: project.buildCommand,
      outputDir: project.outputDir,
      nodeVersion: project.nodeVersion,
      timeoutSeconds: project.buildTimeoutSeconds,
    },
    env,
    secretEnvKeys,
    callback: { apiUrl: config.builds.apiUrl, token },
    limits: { maxFiles: config.maxFiles, maxFileBytes: config.maxFileBytes },
    cache: {
      restore: !deployment.skipCache,
      productionBranch: project.productionBranch,
      clearedAt: project.cacheClearedAt,
    },
  };
}
