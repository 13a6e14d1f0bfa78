import { projectNotFound } from "../api";
import type { Command } from "../command";
import { CliError, UsageError } from "../errors";
import { formatDate, table } from "../output";
import { isInteractive, promptLine } from "../prompt";
import type { Project } from "../types";

export const projectsCreate: Command = {
  name: "projects create",
  summary: "Create a project",
  description: [
    "A name is 1-40 characters of a-z, 0-9 and '-', starts and ends with a letter or digit, and has",
    "no '--'. It becomes the project's hostname. Deploys of the production branch go to production;",
    "other branches get preview URLs.",
  ].join("\n"),
  positionals: [{ name: "name", required: true, description: "The project's name, e.g. my-site" }],
  options: {
    branch: { type: "string", value: "<branch>", description: "The production branch (default: main)" },
    git: {
      type: "string",
      value: "<url>",
      description: "A git repository to build from (https:// or git://)",
    },
    "root-dir": { type: "string", value: "<dir>", description: "The app's folder inside the repository" },
  },
  examples: [
    "miaobu projects create my-site",
    "miaobu projects create docs --branch trunk",
    "miaobu projects create web --git https://example.com/me/repo.git --root-dir apps/web",
  ],
  async run(context, { values, positionals }) {
    const [name = ""] = positionals;
    const client = await context.client();
    const branch = typeof values.branch === "string" ? values.branch : undefined;
    const settings: { gitUrl?: string; rootDir?: string } = {};
    if (typeof values.git === "string") settings.gitUrl = values.git;
    if (typeof values["root-dir"] === "string") settings.rootDir = values["root-dir"];
    const { project } = await client.createProject(name, branch, settings);
    const out = context.out;
    out.line(`Created project ${project.name} (production branch ${project.productionBranch})`);
    out.line(`  Production URL: ${project.productionUrl}`);
    if (project.gitUrl) {
      out.line(`  Git: ${project.gitUrl}${project.rootDir ? ` (root ${project.rootDir})` : ""}`);
      out.line(`Build it with: miaobu trigger ${project.name} --follow`);
    } else {
      out.line(`Deploy a folder with: miaobu deploy ./dist --project ${project.name}`);
    }
    out.result({ project });
    return 0;
  },
};

export const projectsList: Command = {
  name: "projects list",
  summary: "List your projects, newest first",
  positionals: [],
  options: {},
  examples: ["miaobu projects list", "miaobu projects list --json"],
  async run(context) {
    const client = await context.client();
    const { projects } = await client.listProjects();
    const out = context.out;
    out.result({ projects });
    if (projects.length === 0) {
      out.line("No projects yet. Create one with `miaobu projects create <name>`.");
      return 0;
    }
    out.line(
      table(
        ["NAME", "BRANCH", "PRODUCTION URL", "PRODUCTION DEPLOYMENT", "CREATED"],
        projects.map((project: Project) => [
          project.name,
          project.productionBranch,
          project.productionUrl,
          project.productionDeploymentId ?? "-",
          formatDate(project.createdAt),
        ]),
      ),
    );
    return 0;
  },
};

export const projectsDelete: Command = {
  name: "projects delete",
  summary: "Delete a project with its deployments and files",
  description: [
    "This cannot be undone. On a terminal you are asked to type the project's name; elsewhere",
    "pass --yes.",
  ].join("\n"),
  positionals: [{ name: "name", required: true, description: "The project's name (or id)" }],
  options: {
    yes: { type: "boolean", short: "y", description: "Do not ask for confirmation" },
  },
  examples: ["miaobu projects delete my-site", "miaobu projects delete my-site --yes"],
  async run(context, { values, positionals }) {
    const [name = ""] = positionals;
    const { io, out } = context;
    const client = await context.client();
    if (values.yes !== true) {
      if (!isInteractive(io)) {
        throw new UsageError(`refusing to delete project "${name}" without confirmation: pass --yes`);
      }
      // Look it up first so a typo fails before the question, not after.
      await client.request("GET", `/api/v1/projects/${encodeURIComponent(name)}`, {
        notFound: projectNotFound(name),
      });
      io.stderr.write(`This deletes project "${name}", all its deployments and every stored file.\n`);
      const typed = await promptLine(io, `Type the project's name to confirm: `);
      if (typed !== name) throw new CliError("not deleted: the name you typed does not match");
    }
    await client.deleteProject(name);
    out.line(`Deleted project ${name}.`);
    out.result({ deleted: true, project: name });
    return 0;
  },
};
