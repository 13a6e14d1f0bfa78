import type { ProjectSettingsInput } from "@miaobu/contract";
import { type Environment, projects } from "@miaobu/db";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { envKeyProblem, MAX_ENV_VALUE_BYTES, MAX_ENV_VARS, setEnvVar } from "../env/vars.ts";
import { createProject } from "../projects/create.ts";
import { checkGitUrl } from "../projects/git-url.ts";
import type { ProjectRow } from "../projects/present.ts";
import { clientOf } from "./accounts.ts";
import { fromGitHubError, type GitHubClient, GitHubError } from "./client.ts";

export interface ImportEnvVar {
  key: string;
  value: string;
  environment: Environment | "all";
  secret: boolean;
}

export interface ImportInput extends Omit<ProjectSettingsInput, "gitUrl"> {
  repository: string;
  name?: string | undefined;
  env: ImportEnvVar[];
  forkPullRequests: boolean;
  webhook: boolean;
}

/** What became of the repository webhook. */
export interface WebhookResult {
  url: string;
  status: "created" | "exists" | "skipped" | "failed";
  id: number | null;
  detail?: string;
}

/** A project name from a repository (and root folder) name: `my-org/Web.App` + `apps/docs` → `web-app-docs`. */
export function projectNameFor(repoName: string, rootDir: string | null | undefined): string {
  const base = rootDir ? `${repoName}-${rootDir.split("/").pop() ?? ""}` : repoName;
  return base
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

function checkEnv(list: ImportEnvVar[]): void {
  const counts: Record<Environment, number> = { production: 0, preview: 0 };
  list.forEach((v, i) => {
    const problem = envKeyProblem(v.key);
    if (problem)
      throw new ApiError("invalid_input", problem, {
        errors: [{ field: `env[${i}].key`, message: problem }],
      });
    if (new TextEncoder().encode(v.value).byteLength > MAX_ENV_VALUE_BYTES) {
      throw new ApiError("payload_too_large", `env[${i}].value is over ${MAX_ENV_VALUE_BYTES} bytes`);
    }
    for (const environment of v.environment === "all"
      ? (["production", "preview"] as const)
      : [v.environment]) {
      counts[environment] += 1;
    }
  });
  if (counts.production > MAX_ENV_VARS || counts.preview > MAX_ENV_VARS) {
    throw new ApiError("invalid_input", `At most ${MAX_ENV_VARS} variables per environment.`);
  }
}

/**
 * Creates a project from a GitHub repository the user can reach: the repository's clone URL and id, its
 * default branch as production unless overridden, the given settings and env vars, and the webhook that
 * makes pushes and pull requests deploy. Several projects may come from one repository (root folders).
 */
export async function importRepository(
  deps: Pick<Deps, "db" | "now" | "config">,
  userId: string,
  input: ImportInput,
  webhookUrl: string,
): Promise<{ project: ProjectRow; webhook: WebhookResult }> {
  checkEnv(input.env);
  const client = await clientOf(deps, userId);
  const repo = await client
    .repo(input.repository)
    .catch((error: unknown) => fromGitHubError(error, "repository"));
  // GitHub Enterprise Server on a private network must be allowed like any other git host.
  checkGitUrl(deps.config, repo.clone_url, "repository");
  const { repository: _r, name, env, forkPullRequests, webhook: wantHook, ...settings } = input;
  const project = await createProject(
    deps,
    userId,
    {
      ...settings,
      name: name ?? projectNameFor(repo.name, settings.rootDir),
      gitUrl: repo.clone_url,
      productionBranch: settings.productionBranch ?? repo.default_branch,
    },
    { githubRepoId: repo.id, githubRepoFullName: repo.full_name, githubForkPullRequests: forkPullRequests },
  );
  for (const v of env) {
    for (const environment of v.environment === "all"
      ? (["production", "preview"] as const)
      : [v.environment]) {
      await setEnvVar(deps, userId, project.id, {
        environment,
        key: v.key,
        value: v.value,
        secret: v.secret,
      });
    }
  }
  const webhook = wantHook
    ? await ensureWebhook(client, repo.full_name, webhookUrl, deps.config.github?.webhookSecret ?? "")
    : { url: webhookUrl, status: "skipped" as const, id: null };
  if (webhook.id !== null) {
    await deps.db.update(projects).set({ githubHookId: webhook.id }).where(eq(projects.id, project.id));
    project.githubHookId = webhook.id;
  }
  return { project, webhook };
}

interface HookJson {
  id: number;
  config?: { url?: string };
}

/** Creates the repository's webhook to Miaobu, or finds the one already there (one serves every project). */
async function ensureWebhook(
  client: GitHubClient,
  fullName: string,
  url: string,
  secret: string,
): Promise<WebhookResult> {
  try {
    const hook = await client.request<HookJson>("POST", `/repos/${fullName}/hooks`, {
      name: "web",
      active: true,
      events: ["push", "pull_request"],
      config: { url, content_type: "json", secret, insecure_ssl: "0" },
    });
    return { url, status: "created", id: hook.id };
  } catch (error) {
    if (error instanceof GitHubError && error.status === 422) {
      const hooks = await client
        .request<HookJson[]>("GET", `/repos/${fullName}/hooks?per_page=100`)
        .catch(() => [] as HookJson[]);
      const ours = hooks.find((h) => h.config?.url === url);
      if (ours) return { url, status: "exists", id: ours.id };
    }
    const detail =
      error instanceof GitHubError
        ? `${error.message}. Ask a repository admin to add a webhook to ${url} (content type JSON, the platform's webhook secret, events push and pull_request), or use an app-level webhook.`
        : "GitHub could not be reached to create the webhook.";
    return { url, status: "failed", id: null, detail };
  }
}
