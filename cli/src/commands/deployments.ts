import type { Command } from "../command";
import { UsageError } from "../errors";
import { formatDate, table } from "../output";

export const deployments: Command = {
  name: "deployments",
  summary: "List a project's deployments, newest first",
  description: [
    "`*` marks the deployment production points at. A `deleted` deployment was removed by the project's",
    "retention policy (see `miaobu deployments prune`): its files are gone and its URL answers 410.",
  ].join("\n"),
  positionals: [{ name: "project", required: true, description: "The project's name (or id)" }],
  options: {
    limit: { type: "string", short: "n", value: "<n>", description: "How many to show, 1-100 (default: 20)" },
    cursor: {
      type: "string",
      value: "<cursor>",
      description: "Continue a previous listing (printed at its end)",
    },
  },
  examples: ["miaobu deployments my-site", "miaobu deployments my-site --limit 5 --json"],
  async run(context, { values, positionals }) {
    const [project = ""] = positionals;
    let limit: number | undefined;
    if (typeof values.limit === "string") {
      limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new UsageError(`--limit must be a whole number from 1 to 100, not "${values.limit}"`);
      }
    }
    const client = await context.client();
    const page = await client.listDeployments(project, {
      ...(limit === undefined ? {} : { limit }),
      ...(typeof values.cursor === "string" ? { cursor: values.cursor } : {}),
    });
    const out = context.out;
    out.result({ deployments: page.deployments, nextCursor: page.nextCursor ?? null });
    if (page.deployments.length === 0) {
      out.line(
        `No deployments of ${project} yet. Deploy with \`miaobu deploy ./dist --project ${project}\`.`,
      );
      return 0;
    }
    out.line(
      table(
        ["", "ID", "STATUS", "ENVIRONMENT", "BRANCH", "FILES", "CREATED", "URL"],
        page.deployments.map((deployment) => [
          deployment.isProduction ? "*" : "",
          deployment.id,
          deployment.status,
          deployment.environment,
          deployment.branch,
          String(deployment.fileCount),
          formatDate(deployment.createdAt),
          // Its own URL answers 410 Gone: nothing to visit.
          deployment.status === "deleted" ? "-" : deployment.url,
        ]),
      ),
    );
    if (page.deployments.some((deployment) => deployment.status === "deleted")) {
      out.line(
        "deleted: removed by the project's retention policy; its files are gone and its URL answers 410",
      );
    }
    if (page.nextCursor) {
      out.line(`More: miaobu deployments ${project} --cursor ${page.nextCursor}`);
    }
    return 0;
  },
};
