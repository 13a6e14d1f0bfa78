import { deployments, projects, routes, webhookDeliveries } from "@miaobu/db";
import { and, eq, inArray, notInArray } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { toHex } from "../../lib/crypto.ts";
import { hmacSha256, timingSafeEqualText } from "../../lib/secrets.ts";
import type { Scheduler } from "../builds/clients.ts";
import { type TriggerGate, triggerBuild } from "../builds/trigger.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import type { ProjectRow } from "../projects/present.ts";
import { watchRoutes } from "../route-events/announce.ts";

/** 401 unless `X-Hub-Signature-256` is the HMAC-SHA256 of the exact body under the webhook secret. */
export async function verifySignature(
  secret: string,
  body: Uint8Array,
  header: string | undefined,
): Promise<void> {
  const expected = `sha256=${toHex(await hmacSha256(secret, body))}`;
  if (!header || !timingSafeEqualText(header, expected)) {
    throw new ApiError("unauthorized", "The X-Hub-Signature-256 of this delivery is missing or wrong.");
  }
}

/** Records a delivery id; false when it was already recorded (a redelivery), so nothing happens twice. */
export async function claimDelivery({ db, now }: Pick<Deps, "db" | "now">, id: string, event: string) {
  const inserted = await db
    .insert(webhookDeliveries)
    .values({ id, event, receivedAt: now() })
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id });
  return inserted.length > 0;
}

/** Forgets a delivery whose handling failed, so GitHub's redelivery is handled again. */
export async function releaseDelivery({ db }: Pick<Deps, "db">, id: string): Promise<void> {
  await db.delete(webhookDeliveries).where(eq(webhookDeliveries.id, id));
}

export async function recordOutcome({ db }: Pick<Deps, "db">, id: string, outcome: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ outcome: outcome.slice(0, 500) })
    .where(eq(webhookDeliveries.id, id));
}

const repoRef = z.object({ id: z.number().int(), full_name: z.string() });

const pushPayload = z.object({
  ref: z.string().max(1024),
  after: z.string().max(64),
  deleted: z.boolean().default(false),
  head_commit: z.object({ id: z.string(), message: z.string() }).nullable().optional(),
  repository: repoRef,
});

const pullRequestPayload = z.object({
  action: z.string().max(64),
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({ ref: z.string().max(255), sha: z.string().max(64), repo: repoRef.nullable() }),
  }),
  repository: repoRef,
});

/** What a delivery did, as the receiver answers and records it. */
export interface WebhookOutcome {
  event: string;
  result: string;
  deployments: string[];
}

export interface WebhookDeps extends Pick<Deps, "db" | "now" | "config" | "routeEvents"> {
  scheduler: Scheduler;
  /** The per-project deploy-trigger limit. */
  gate: TriggerGate;
  /** Tells GitHub a build was queued (commit status, pull request comment); runs after the answer. */
  queued: (project: ProjectRow, deployment: DeploymentRow) => void;
}

const SKIP = /\[(?:skip ci|ci skip|miaobu skip)\]/i;
const ENDED_WITHOUT_SITE = ["failed", "canceled", "superseded"] as const;

function projectsOfRepo({ db }: Pick<Deps, "db">, repoId: number): Promise<ProjectRow[]> {
  return db.select().from(projects).where(eq(projects.githubRepoId, repoId)).limit(50);
}

async function removeBranchAlias(
  deps: Pick<Deps, "db" | "routeEvents">,
  projectIds: string[],
  branch: string,
) {
  if (projectIds.length === 0) return;
  const announcements = await Promise.all(projectIds.map((id) => watchRoutes(deps, id)));
  await deps.db
    .delete(routes)
    .where(and(inArray(routes.projectId, projectIds), eq(routes.kind, "branch"), eq(routes.branch, branch)));
  for (const announce of announcements) await announce();
}

/** A deployment of this commit on this branch that is queued, running or ready: building again is waste. */
async function existingBuild(deps: Pick<Deps, "db">, projectId: string, branch: string, sha: string) {
  return deps.db
    .select()
    .from(deployments)
    .where(
      and(
        eq(deployments.projectId, projectId),
        eq(deployments.branch, branch),
        eq(deployments.commitSha, sha),
        notInArray(deployments.status, [...ENDED_WITHOUT_SITE]),
      ),
    )
    .get();
}

/** `push`: a branch deploys (production or preview), a deleted branch loses its alias, tags are ignored. */
export async function handlePush(deps: WebhookDeps, raw: unknown): Promise<WebhookOutcome> {
  const payload = pushPayload.parse(raw);
  const outcome = (result: string, ids: string[] = []) => ({ event: "push", result, deployments: ids });
  if (!payload.ref.startsWith("refs/heads/")) return outcome("ignored: not a branch");
  const branch = payload.ref.slice("refs/heads/".length);
  const found = await projectsOfRepo(deps, payload.repository.id);
  if (found.length === 0) return outcome("ignored: no project uses this repository");
  if (payload.deleted || !payload.head_commit) {
    await removeBranchAlias(
      deps,
      found.map((p) => p.id),
      branch,
    );
    return outcome(`branch ${branch} deleted: alias removed`);
  }
  if (SKIP.test(payload.head_commit.message)) return outcome("skipped by the commit message");
  const ids: string[] = [];
  for (const project of found) {
    const sha = payload.after;
    if (await existingBuild(deps, project.id, branch, sha)) continue;
    const row = await triggerBuild(deps, project, {
      branch,
      commit: sha,
      source: "github",
      createdBy: null,
    });
    ids.push(row.id);
    deps.queued(project, row);
  }
  return outcome(`queued ${ids.length} build(s) of ${branch}`, ids);
}

/** `pull_request`: opened, synchronize and reopened deploy a preview; closed removes its alias. */
export async function handlePullRequest(deps: WebhookDeps, raw: unknown): Promise<WebhookOutcome> {
  const payload = pullRequestPayload.parse(raw);
  const outcome = (result: string, ids: string[] = []) => ({
    event: "pull_request",
    result,
    deployments: ids,
  });
  const { action, number } = payload;
  const head = payload.pull_request.head;
  const fork = head.repo === null || head.repo.id !== payload.repository.id;
  // A fork's branch name could collide with (and move) one of ours, so its alias is named by the number.
  const branch = fork ? `pr-${number}` : head.ref;
  const found = await projectsOfRepo(deps, payload.repository.id);
  if (found.length === 0) return outcome("ignored: no project uses this repository");
  if (action === "closed") {
    await removeBranchAlias(
      deps,
      found.map((p) => p.id),
      branch,
    );
    return outcome(`pull request #${number} closed: preview alias removed`);
  }
  if (!["opened", "synchronize", "reopened"].includes(action)) return outcome(`ignored: action ${action}`);
  const ids: string[] = [];
  for (const project of found) {
    if (fork && !project.githubForkPullRequests) continue;
    // The production branch's own pushes deploy production; a pull request from it adds nothing.
    if (branch === project.productionBranch) continue;
    const existing = await existingBuild(deps, project.id, branch, head.sha);
    if (existing) {
      await deps.db.update(deployments).set({ pullRequest: number }).where(eq(deployments.id, existing.id));
      deps.queued(project, { ...existing, pullRequest: number });
      continue;
    }
    const row = await triggerBuild(deps, project, {
      branch,
      commit: head.sha,
      source: "github",
      createdBy: null,
      pullRequest: number,
    });
    ids.push(row.id);
    deps.queued(project, row);
  }
  const skipped = fork && ids.length === 0 ? " (fork pull requests are off)" : "";
  return outcome(`pull request #${number}: queued ${ids.length} preview build(s)${skipped}`, ids);
}
