import { projectNotFound } from "../api";
import type { Command } from "../command";
import { UsageError } from "../errors";
import { readStdin } from "../prompt";
import type { Project } from "../types";

const HTML_HANDLING = ["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"];
const NOT_FOUND_HANDLING = ["auto", "single-page-application", "404-page", "none"];
// The flags before Cloudflare's names, accepted for one release: old flag → [new flag, old value → new value].
const OLD_FLAGS: Record<string, [string, Record<string, string>]> = {
  "trailing-slash": ["html-handling", { auto: "auto-trailing-slash" }],
  "not-found": ["not-found-handling", { spa: "single-page-application" }],
};

/** A whole-number flag within `[min, max]`, or undefined when not given. */
function wholeNumber(
  value: string | boolean | undefined,
  min: number,
  max: number,
  flag: string,
): number | undefined {
  if (typeof value !== "string") return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}; got "${value}"`);
  }
  return parsed;
}

function choice(value: string | boolean | undefined, allowed: string[], flag: string): string | undefined {
  if (typeof value !== "string") return undefined;
  if (!allowed.includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}; got "${value}"`);
  return value;
}

export const projectsUpdate: Command = {
  name: "projects update",
  summary: "Change how a project's sites are served",
  description: [
    "--html-handling and --not-found-handling take Cloudflare Workers' assets.html_handling and",
    "assets.not_found_handling values. --html-handling: auto-trailing-slash (the default: /file.html at",
    "/file, /folder/index.html at /folder/), force-trailing-slash (every page at a URL ending in /),",
    "drop-trailing-slash (no page URL ends in /, but the root) or none (exact file paths only).",
    "--not-found-handling: auto (the default, as Pages: the nearest 404.html with status 404, else",
    "/index.html as a single-page app), single-page-application (/index.html with 200), 404-page (the",
    "nearest 404.html with 404) or none (a plain 404). Both defaults serve as Cloudflare Pages does; any",
    "other choice as a Worker with static assets does (redirects are 307 instead of 308).",
    "--trailing-slash and --not-found (auto|spa|...) are their old names, accepted until the next release.",
    "--preview-password-stdin protects branch and deployment URLs with a password read from stdin",
    "(8-200 characters); --no-preview-password makes them public again. --skew-days (0-90) is how long",
    "files of the previous production deployment stay reachable after a new one.",
    "Retention (applied hourly and by `miaobu deployments prune`): --retain-production and --retain-preview",
    "(1-1000) keep that many newest ready deployments of each environment, --retain-days (0-365) keeps every",
    "deployment younger than that; production and anything an alias or domain points at are always kept.",
  ].join("\n"),
  positionals: [{ name: "name", required: true, description: "The project's name (or id)" }],
  options: {
    "html-handling": {
      type: "string",
      value: "<mode>",
      description: "Trailing slashes and .html (Workers' html_handling)",
    },
    "not-found-handling": {
      type: "string",
      value: "<mode>",
      description: "What to answer for a missing path (Workers' not_found_handling, or auto)",
    },
    "trailing-slash": { type: "string", value: "<mode>", description: "Old name of --html-handling" },
    "not-found": { type: "string", value: "<mode>", description: "Old name of --not-found-handling" },
    "preview-password-stdin": { type: "boolean", description: "Read a preview password from stdin" },
    "no-preview-password": { type: "boolean", description: "Remove the preview password" },
    "skew-days": { type: "string", value: "<n>", description: "Days old production files stay reachable" },
    "retain-production": {
      type: "string",
      value: "<n>",
      description: "Newest ready production deployments to keep",
    },
    "retain-preview": {
      type: "string",
      value: "<n>",
      description: "Newest ready preview deployments to keep",
    },
    "retain-days": { type: "string", value: "<n>", description: "Keep every deployment younger than this" },
  },
  examples: [
    "miaobu projects update my-site --html-handling drop-trailing-slash --not-found-handling 404-page",
    'printf %s "$PREVIEW_PASSWORD" | miaobu projects update my-site --preview-password-stdin',
    "miaobu projects update my-site --no-preview-password --skew-days 14",
    "miaobu projects update my-site --retain-production 5 --retain-preview 10 --retain-days 3",
  ],
  async run(context, { values, positionals }) {
    const [name = ""] = positionals;
    const patch: Record<string, unknown> = {};
    for (const [old, [flag, renamed]] of Object.entries(OLD_FLAGS)) {
      const value = values[old];
      if (typeof value !== "string") continue;
      if (values[flag] !== undefined) throw new UsageError(`give --${flag} only (--${old} is its old name)`);
      values[flag] = renamed[value] ?? value;
      context.out.note(`note: --${old} is now --${flag} ${values[flag]}`);
    }
    const htmlHandling = choice(values["html-handling"], HTML_HANDLING, "html-handling");
    if (htmlHandling) patch.htmlHandling = htmlHandling;
    const notFoundHandling = choice(values["not-found-handling"], NOT_FOUND_HANDLING, "not-found-handling");
    if (notFoundHandling) patch.notFoundHandling = notFoundHandling;
    if (typeof values["skew-days"] === "string") {
      const days = Number(values["skew-days"]);
      if (!/^\d+$/.test(values["skew-days"]) || days > 90) {
        throw new UsageError(`--skew-days must be a whole number from 0 to 90; got "${values["skew-days"]}"`);
      }
      patch.skewProtectionDays = days;
    }
    const retention = {
      retainProduction: wholeNumber(values["retain-production"], 1, 1000, "retain-production"),
      retainPreview: wholeNumber(values["retain-preview"], 1, 1000, "retain-preview"),
      retainDays: wholeNumber(values["retain-days"], 0, 365, "retain-days"),
    };
    for (const [key, value] of Object.entries(retention)) {
      if (value !== undefined) patch[key] = value;
    }
    const setPassword = values["preview-password-stdin"] === true;
    if (setPassword && values["no-preview-password"] === true) {
      throw new UsageError("give either --preview-password-stdin or --no-preview-password, not both");
    }
    if (values["no-preview-password"] === true) patch.previewPassword = null;
    if (Object.keys(patch).length === 0 && !setPassword) {
      throw new UsageError("nothing to change (see `miaobu projects update --help`)");
    }
    const client = await context.client();
    if (setPassword) {
      const password = await readStdin(context.io);
      if (password.length < 8 || password.length > 200) {
        throw new UsageError("the preview password must be 8-200 characters");
      }
      patch.previewPassword = password;
    }
    const { project } = await client.request<{ project: Project }>(
      "PATCH",
      `/api/v1/projects/${encodeURIComponent(name)}`,
      { json: patch, notFound: projectNotFound(name) },
    );
    const { out } = context;
    out.result({ project });
    out.line(`Updated project ${project.name}`);
    out.line(`  HTML handling:   ${project.htmlHandling ?? "-"}`);
    out.line(`  Not found:       ${project.notFoundHandling ?? "-"}`);
    out.line(`  Preview password: ${project.previewProtected ? "set" : "none"}`);
    out.line(`  Skew protection: ${project.skewProtectionDays ?? "-"} days`);
    if (project.retainProduction !== undefined) {
      out.line(
        `  Retention:       newest ${project.retainProduction} production, ${project.retainPreview ?? "-"} preview, all under ${project.retainDays ?? "-"} days`,
      );
    }
    return 0;
  },
};
