import { githubPullRequestComments } from "@miaobu/db";
import { deploymentHost } from "@miaobu/shared";
import { and, eq } from "drizzle-orm";
import { type Deps, siteUrl } from "../../env.ts";
import type { DeploymentRow } from "../deployments/present.ts";
import type { ProjectRow } from "../projects/present.ts";
import { githubTokenOf } from "./accounts.ts";
import { GitHubClient, GitHubError } from "./client.ts";

type FeedbackDeps = Pick<Deps, "db" | "now" | "config">;

const STATES: Record<string, { state: "pending" | "success" | "failure" | "error"; text: string }> = {
  ready: { state: "success", text: "Deployed" },
  failed: { state: "failure", text: "The build failed" },
  canceled: { state: "error", text: "The build was canceled" },
  superseded: { state: "error", text: "A newer commit superseded this build" },
};

function stateOf(status: string) {
  return STATES[status] ?? { state: "pending" as const, text: "Building" };
}

/** The marker that finds Miaobu's own comment for a project among a pull request's comments. */
const marker = (project: ProjectRow) => `<!-- miaobu:${project.id} -->`;

function commentBody(project: ProjectRow, deployment: DeploymentRow, url: string): string {
  const { state, text } = stateOf(deployment.status);
  const icon = state === "success" ? "✅" : state === "pending" ? "⏳" : "❌";
  const sha = deployment.commitSha ? ` for ${deployment.commitSha.slice(0, 7)}` : "";
  const line =
    state === "success"
      ? `${icon} **Preview ready**: ${url}`
      : `${icon} **${text}**${state === "pending" ? "…" : "."}`;
  return [marker(project), `**Miaobu** · \`${project.slug}\`${sha}`, "", line, ""].join("\n");
}

/**
 * Tells GitHub how a build of an imported repository stands: a commit status (context `miaobu/{project}`)
 * linking the deployment's URL, and, for a pull request, Miaobu's one comment on it, edited in place on
 * each new commit. Best effort: GitHub being down never fails a build.
 */
export async function reportToGitHub(
  deps: FeedbackDeps,
  project: ProjectRow,
  deployment: DeploymentRow,
): Promise<void> {
  const github = deps.config.github;
  if (!github || !project.githubRepoFullName) return;
  const repo = project.githubRepoFullName;
  const url = siteUrl(deps.config, deploymentHost(deployment.shortId, project.slug, deps.config.sitesBase));
  const { state, text } = stateOf(deployment.status);
  try {
    const token = await githubTokenOf(deps, project.ownerId);
    if (!token) return;
    const client = new GitHubClient(github, token);
    if (deployment.commitSha) {
      await client.request("POST", `/repos/${repo}/statuses/${deployment.commitSha}`, {
        state,
        target_url: url,
        description: text,
        context: `miaobu/${project.slug}`,
      });
    }
    if (deployment.pullRequest !== null) await upsertComment(deps, client, project, deployment, url);
  } catch (error) {
    console.warn(
      JSON.stringify({
        level: "warn",
        msg: "reporting to GitHub failed",
        deploymentId: deployment.id,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}

async function upsertComment(
  deps: FeedbackDeps,
  client: GitHubClient,
  project: ProjectRow,
  deployment: DeploymentRow,
  url: string,
): Promise<void> {
  const number = deployment.pullRequest;
  if (number === null || !project.githubRepoFullName) return;
  const repo = project.githubRepoFullName;
  const body = commentBody(project, deployment, url);
  const where = and(
    eq(githubPullRequestComments.projectId, project.id),
    eq(githubPullRequestComments.number, number),
  );
  const known = await deps.db.select().from(githubPullRequestComments).where(where).get();
  if (known) {
    try {
      await client.request("PATCH", `/repos/${repo}/issues/comments/${known.commentId}`, { body });
      await deps.db.update(githubPullRequestComments).set({ updatedAt: deps.now() }).where(where);
      return;
    } catch (error) {
      // Someone deleted the comment: write a new one below.
      if (!(error instanceof GitHubError && error.status === 404)) throw error;
    }
  }
  const created = await client.request<{ id: number }>("POST", `/repos/${repo}/issues/${number}/comments`, {
    body,
  });
  await deps.db
    .insert(githubPullRequestComments)
    .values({ projectId: project.id, number, commentId: created.id, updatedAt: deps.now() })
    .onConflictDoUpdate({
      target: [githubPullRequestComments.projectId, githubPullRequestComments.number],
      set: { commentId: created.id, updatedAt: deps.now() },
    });
}
