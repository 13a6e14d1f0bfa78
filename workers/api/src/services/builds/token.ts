import { deployments, projects, users } from "@miaobu/db";
import { randomBase32 } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import type { AuthUser, Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { sha256Hex } from "../../lib/crypto.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import type { ProjectRow } from "../projects/present.ts";
import { isFinal } from "./phases.ts";

export const CALLBACK_TOKEN_PREFIX = "mbd_";

/** A fresh deployment-scoped callback token and the hash stored in `deployments.callback_token_hash`. */
export async function newCallbackToken(): Promise<{ token: string; hash: string }> {
  const token = `${CALLBACK_TOKEN_PREFIX}${randomBase32(40)}`;
  return { token, hash: await sha256Hex(token) };
}

function sameText(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  return x.byteLength === y.byteLength && crypto.subtle.timingSafeEqual(x, y);
}

export interface CallbackOptions {
  /**
   * For this long (ms) after the deployment became `ready` the token still works: the builder saves the
   * build cache once the deployment is live. Never after any other final status.
   */
  afterReadyMs?: number;
}

/** Whether a final deployment is still within `afterReadyMs` of becoming ready at `now`. */
function inGrace(deployment: DeploymentRow, now: number, afterReadyMs: number): boolean {
  const readyAt = deployment.readyAt ?? deployment.finishedAt;
  return deployment.status === "ready" && readyAt !== null && now - readyAt <= afterReadyMs;
}

/**
 * The deployment a callback token is for, with its project and owner; 401 unless `token` is exactly the
 * token of `deploymentId` and the deployment has not finished (or, with `afterReadyMs`, became ready no
 * longer ago than that). A token never opens another deployment.
 */
export async function authenticateCallback(
  { db, now }: Pick<Deps, "db" | "now">,
  token: string,
  deploymentId: string,
  options: CallbackOptions = {},
): Promise<{ user: AuthUser; project: ProjectRow; deployment: DeploymentRow }> {
  const refused = new ApiError("unauthorized", "The callback token is not valid for this deployment.");
  if (!token.startsWith(CALLBACK_TOKEN_PREFIX) || token.length > 200 || deploymentId.length > 64) {
    throw refused;
  }
  const row = await db
    .select({ deployment: deployments, project: projects, user: users })
    .from(deployments)
    .innerJoin(projects, eq(projects.id, deployments.projectId))
    .innerJoin(users, eq(users.id, projects.ownerId))
    .where(eq(deployments.id, deploymentId))
    .get();
  const stored = row?.deployment.callbackTokenHash;
  if (!row || !stored || !sameText(stored, await sha256Hex(token))) throw refused;
  const grace = options.afterReadyMs;
  if (isFinal(row.deployment.status) && !(grace && inGrace(row.deployment, now(), grace))) {
    throw new ApiError(
      "unauthorized",
      `The deployment is ${row.deployment.status}; its callback token is no longer valid.`,
    );
  }
  const { id, email, name } = row.user;
  return { user: { id, email, name }, project: row.project, deployment: row.deployment };
}
