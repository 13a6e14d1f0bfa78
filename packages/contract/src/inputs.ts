// Request fields several routes share; each is checked the same way wherever it arrives.
import { z } from "@hono/zod-openapi";
import { GIT_CREDENTIALS_PROBLEM, parseGitUrl } from "@miaobu/shared/git-url";
import {
  HTML_HANDLING_MODES,
  NOT_FOUND_HANDLING_MODES,
  NOT_FOUND_MODES,
  TRAILING_SLASH_MODES,
} from "@miaobu/shared/serving";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

const noControl = (s: string) => !CONTROL.test(s);

/** A git branch name as the API accepts it. */
export const branchName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(noControl, "the branch name contains a control character");

/** A folder inside the repository or the build output: relative, `/`-separated, no `..`. */
const relativeDir = z
  .string()
  .trim()
  .max(255)
  .refine(noControl, "contains a control character")
  .refine((s) => !s.startsWith("/") && !s.includes("\\"), "give a path relative to the repository root")
  .refine((s) => s.split("/").every((part) => part !== ".."), "may not contain '..'")
  .transform((s) => s.replace(/^\.\/+/, "").replace(/\/+$/, ""));

const command = z.string().trim().max(1024).refine(noControl, "contains a control character");

/**
 * A repository the builder can clone: `https://`, `http://` or `git://`. Local paths and `file://` would let a
 * project read the builder's own disk, so they are refused; credentials do not belong in a stored URL. Where
 * the host points is checked against the operator's allow-list by the API (services/projects/git-url.ts).
 */
export const gitUrl = z
  .string()
  .trim()
  .max(2048)
  .superRefine((raw, ctx) => {
    const parsed = parseGitUrl(raw);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
    else if (parsed.url.hasUserinfo) ctx.addIssue({ code: "custom", message: GIT_CREDENTIALS_PROBLEM });
  });

/** Build and serving settings shared by create and update; `null` clears a setting back to "detect". */
export const projectSettings = {
  productionBranch: branchName.optional(),
  gitUrl: gitUrl.nullable().optional(),
  rootDir: relativeDir.nullable().optional(),
  framework: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,49}$/, "a framework id such as vite or astro")
    .nullable()
    .optional(),
  installCommand: command.nullable().optional(),
  buildCommand: command.nullable().optional(),
  outputDir: relativeDir.nullable().optional(),
  nodeVersion: z
    .string()
    .regex(/^(\d{1,2}(\.\d{1,3}){0,2}|lts)$/, "a Node.js version such as 22, 20.11 or lts")
    .nullable()
    .optional(),
  buildTimeoutSeconds: z.number().int().min(60).max(7200).optional(),
  htmlHandling: z
    .enum(HTML_HANDLING_MODES)
    .optional()
    .describe("Trailing slashes and `.html`, as Cloudflare Workers' `assets.html_handling`"),
  notFoundHandling: z
    .enum(NOT_FOUND_HANDLING_MODES)
    .optional()
    .describe(
      "A missing path, as Workers' `assets.not_found_handling`; `auto`: the nearest 404.html, else the single-page app, as Pages",
    ),
  trailingSlash: z
    .enum(TRAILING_SLASH_MODES)
    .optional()
    .describe("Deprecated: htmlHandling's old name (`auto` is `auto-trailing-slash`)"),
  notFound: z
    .enum(NOT_FOUND_MODES)
    .optional()
    .describe("Deprecated: notFoundHandling's old name (`spa` is `single-page-application`)"),
  skewProtectionDays: z.number().int().min(0).max(90).optional(),
  previewPassword: z.string().min(8).max(200).nullable().optional(),
  // Retention (docs/retention.md): newest ready deployments kept per environment, and the age kept whatever.
  retainProduction: z.number().int().min(1).max(1000).optional(),
  retainPreview: z.number().int().min(1).max(1000).optional(),
  retainDays: z.number().int().min(0).max(365).optional(),
};

export const projectSettingsSchema = z.strictObject(projectSettings);
export type ProjectSettingsInput = z.infer<typeof projectSettingsSchema>;

/** The path parameters of the API, each described once. */
export const pathParams = {
  project: z.string().openapi({ description: "the project's id (`prj_…`) or name" }),
  id: z.string().openapi({ description: "the deployment's id (`dpl_…`), or the resource's id" }),
  hash: z.string().openapi({ description: "the file's SHA-256, lowercase hex" }),
  secret: z.string().openapi({ description: "the deploy hook's secret (`mbh_…`)" }),
};
