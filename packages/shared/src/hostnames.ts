export const SLUG_MAX_LENGTH = 40;
const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Why a project name cannot be a slug, or null when it can. */
export function slugProblem(slug: string): string | null {
  if (slug.length === 0) return "the name is empty";
  if (slug.length > SLUG_MAX_LENGTH) return `the name is longer than ${SLUG_MAX_LENGTH} characters`;
  if (!SLUG_PATTERN.test(slug))
    return "use lowercase letters a-z, digits 0-9 and '-', starting and ending with a letter or digit";
  if (slug.includes("--")) return "'--' is reserved to separate preview names from the project name";
  return null;
}

/**
 * Turns a branch name into one DNS label part: lowercase, `a-z0-9-`, no `--`, at most 28 characters,
 * so `{branch}--{project}` stays within the 63-character label limit.
 */
export function slugifyBranch(branch: string): string {
  const slug = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 28)
    .replace(/-$/, "");
  return slug.length > 0 ? slug : "branch";
}

/** Production hostname of a project. */
export function productionHost(project: string, base: string): string {
  return `${project}.${base}`;
}

/** Hostname that follows the latest ready deployment of a branch. */
export function branchHost(branch: string, project: string, base: string): string {
  return `${slugifyBranch(branch)}--${project}.${base}`;
}

/** Hostname that always serves one deployment. */
export function deploymentHost(shortId: string, project: string, base: string): string {
  return `${shortId}--${project}.${base}`;
}

/** Lowercases a Host header value and drops the port and a trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  if (colon !== -1) h = h.slice(0, colon);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}
