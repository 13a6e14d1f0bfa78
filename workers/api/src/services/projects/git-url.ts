import { gitUrlProblem } from "@miaobu/shared";
import type { Config } from "../../env.ts";
import { ApiError } from "../../errors.ts";

type GitConfig = Pick<Config, "gitAllowedHosts">;

/**
 * 422 naming `field` when a git URL a user gives points where the builder must not fetch from (loopback,
 * private, link-local, metadata) unless `MIAOBU_GIT_ALLOWED_HOSTS` allows it, or carries credentials.
 */
export function checkGitUrl(config: GitConfig, url: string | null | undefined, field = "gitUrl"): void {
  if (!url) return;
  const problem = gitUrlProblem(url, config.gitAllowedHosts);
  if (problem) {
    throw new ApiError("invalid_input", "Some fields are invalid.", {
      errors: [{ field, message: problem }],
    });
  }
}

/**
 * 409 when a project's stored git URL can no longer be used (stored before the policy: credentials, or a
 * host now refused), so neither a build nor an analysis sends it to the builder.
 */
export function checkStoredGitUrl(config: GitConfig, url: string): void {
  const problem = gitUrlProblem(url, config.gitAllowedHosts);
  if (problem) {
    throw new ApiError(
      "conflict",
      `This project's git URL cannot be used: ${problem}. Set it again with \`PATCH /api/v1/projects/:project\` { gitUrl }.`,
    );
  }
}
