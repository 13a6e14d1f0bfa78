import type { Deps } from "../../env.ts";
import { clientOf } from "./accounts.ts";
import { fromGitHubError, type GitHubRepo } from "./client.ts";

/** A repository as the API lists it for import. */
export interface RepoJson {
  id: number;
  fullName: string;
  name: string;
  owner: string;
  private: boolean;
  fork: boolean;
  defaultBranch: string;
  url: string;
  pushedAt: string | null;
}

/** GitHub's repository as the API presents it. */
export function presentRepo(repo: GitHubRepo): RepoJson {
  return {
    id: repo.id,
    fullName: repo.full_name,
    name: repo.name,
    owner: repo.owner.login,
    private: repo.private,
    fork: repo.fork,
    defaultBranch: repo.default_branch,
    url: repo.html_url,
    pushedAt: repo.pushed_at,
  };
}

export interface RepoQuery {
  q?: string | undefined;
  page: number;
  perPage: number;
}

/**
 * The user's repositories, including their organizations': all of them most recently pushed first, or
 * those whose name matches `q` (GitHub's search, limited to the user and their organizations).
 */
export async function listRepos(
  deps: Pick<Deps, "db" | "config">,
  userId: string,
  { q, page, perPage }: RepoQuery,
): Promise<{ repositories: RepoJson[]; nextPage: number | null }> {
  const client = await clientOf(deps, userId);
  try {
    if (!q) {
      const repos = await client.repos(page, perPage);
      return { repositories: repos.map(presentRepo), nextPage: repos.length === perPage ? page + 1 : null };
    }
    const [me, orgs] = await Promise.all([client.user(), client.orgs()]);
    // Several user:/org: qualifiers are ORed by GitHub's search.
    const owners = [`user:${me.login}`, ...orgs.slice(0, 20).map((o) => `org:${o.login}`)];
    const terms = q.replace(/[^\w.\- ]/g, " ").trim();
    const found = await client.search(`${terms} in:name fork:true ${owners.join(" ")}`, page, perPage);
    const more = page * perPage < Math.min(found.total_count, 1000);
    return { repositories: found.items.map(presentRepo), nextPage: more ? page + 1 : null };
  } catch (error) {
    return fromGitHubError(error, "repository list");
  }
}
