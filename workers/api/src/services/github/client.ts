import type { GitHubConfig } from "../../env.ts";
import { ApiError } from "../../errors.ts";

const TIMEOUT_MS = 15_000;

/** A repository as GitHub's REST API describes it (the fields Miaobu reads). */
export interface GitHubRepo {
  id: number;
  name: string;
  full_name: string;
  private: boolean;
  fork: boolean;
  html_url: string;
  clone_url: string;
  default_branch: string;
  pushed_at: string | null;
  owner: { login: string; type?: string };
}

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
}

/** An answer from GitHub that was not 2xx. */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "GitHubError";
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** GitHub's REST API (or GitHub Enterprise Server's, or a test stand-in) with one user's token. */
export class GitHubClient {
  constructor(
    private readonly config: GitHubConfig,
    private readonly token: string,
  ) {}

  /** One request; JSON in and out. Throws `GitHubError` on a non-2xx answer, never with the token in it. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.config.apiUrl}${path}`, {
        method,
        headers: {
          Accept: "application/vnd.github+json",
          Authorization: `Bearer ${this.token}`,
          "User-Agent": "miaobu",
          "X-GitHub-Api-Version": "2022-11-28",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new GitHubError(
        0,
        `GitHub could not be reached (${error instanceof Error ? error.message : "?"})`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let message = `GitHub answered ${response.status}`;
      try {
        const parsed: unknown = JSON.parse(text);
        if (isObject(parsed) && typeof parsed.message === "string")
          message += `: ${parsed.message.slice(0, 200)}`;
      } catch {
        // Not JSON; the status says enough.
      }
      throw new GitHubError(response.status, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  user(): Promise<GitHubUser> {
    return this.request("GET", "/user");
  }

  emails(): Promise<{ email: string; primary: boolean; verified: boolean }[]> {
    return this.request("GET", "/user/emails");
  }

  repo(fullName: string): Promise<GitHubRepo> {
    return this.request("GET", `/repos/${fullName}`);
  }

  /** The user's repositories, their own and their organizations', most recently pushed first. */
  repos(page: number, perPage: number): Promise<GitHubRepo[]> {
    const query = `affiliation=owner,collaborator,organization_member&sort=pushed&per_page=${perPage}&page=${page}`;
    return this.request("GET", `/user/repos?${query}`);
  }

  orgs(): Promise<{ login: string }[]> {
    return this.request("GET", "/user/orgs?per_page=100");
  }

  search(q: string, page: number, perPage: number): Promise<{ total_count: number; items: GitHubRepo[] }> {
    const query = `q=${encodeURIComponent(q)}&sort=updated&per_page=${perPage}&page=${page}`;
    return this.request("GET", `/search/repositories?${query}`);
  }
}

/** Exchanges an OAuth `code` for the user's token at GitHub's web host. */
export async function exchangeCode(config: GitHubConfig, code: string, redirectUri: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${config.url}/login/oauth/access_token`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "User-Agent": "miaobu" },
      body: JSON.stringify({
        client_id: config.clientId,
        client_secret: config.clientSecret,
        code,
        redirect_uri: redirectUri,
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new ApiError("bad_gateway", "GitHub could not be reached to finish signing in.");
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok || !isObject(body) || typeof body.access_token !== "string") {
    throw new ApiError("invalid_credentials", "GitHub did not accept the sign-in; try again.");
  }
  return body.access_token;
}

/** Turns a GitHub failure into the API's own error: 404 stays 404, the rest is a bad gateway. */
export function fromGitHubError(error: unknown, what: string): never {
  if (error instanceof GitHubError) {
    if (error.status === 404 || error.status === 403) {
      throw new ApiError("not_found", `GitHub has no ${what} that your account can reach.`);
    }
    if (error.status === 401) {
      throw new ApiError(
        "conflict",
        "GitHub no longer accepts your authorization; sign in with GitHub again.",
      );
    }
    throw new ApiError("bad_gateway", `${error.message} (${what}).`);
  }
  throw error;
}
