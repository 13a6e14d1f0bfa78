import type { Command } from "../command";
import { CliError, UsageError } from "../errors";
import { formatBytes, formatDate, type Output, plural, table } from "../output";
import { isInteractive, promptLine } from "../prompt";
import type { PruneReport } from "../types";

/** Why the API kept a deployment, in words. */
const KEEP_REASONS: Record<string, string> = {
  production: "serves production",
  routed: "a branch alias or domain points at it",
  pinned: "a custom domain is pinned to it",
  skew: "previous production, kept for skew protection",
  unfinished: "not finished yet",
  recent: "younger than the retention age (--retain-days)",
  "newest-production": "one of the newest production deployments (--retain-production)",
  "newest-preview": "one of the newest preview deployments (--retain-preview)",
};

export const deploymentsPrune: Command = {
  name: "deployments prune",
  summary: "Delete old deployments by the project's retention policy",
  description: [
    "Applies the project's retention policy now (set it with `miaobu projects update --retain-production",
    "--retain-preview --retain-days`): production, anything an alias, domain or skew protection points at,",
    "unfinished and recent deployments, and the newest ready ones of each environment are kept; the others",
    "are deleted with the stored files no kept deployment uses. A deleted deployment's URL answers 410.",
    "--dry-run shows what would go and deletes nothing. Otherwise a terminal asks first; elsewhere pass --yes.",
  ].join("\n"),
  positionals: [{ name: "project", required: true, description: "The project's name (or id)" }],
  options: {
    "dry-run": { type: "boolean", description: "Show what would be deleted; delete nothing" },
    yes: { type: "boolean", short: "y", description: "Do not ask for confirmation" },
  },
  examples: [
    "miaobu deployments prune my-site --dry-run",
    "miaobu deployments prune my-site --yes",
    "miaobu deployments prune my-site --dry-run --json",
  ],
  async run(context, { values, positionals }) {
    const [project = ""] = positionals;
    const { io, out } = context;
    const dryRun = values["dry-run"] === true;
    if (!dryRun && values.yes !== true && !isInteractive(io)) {
      throw new UsageError(
        `refusing to delete deployments of "${project}" without confirmation: pass --yes (or --dry-run to see what would go)`,
      );
    }
    const client = await context.client();
    if (!dryRun && values.yes !== true) {
      const preview = await client.prune(project, true);
      printReport(out, project, preview, { kept: true, hint: false });
      if (preview.deleted.length === 0 && preview.blobs.deleted === 0) return 0;
      const what = [
        preview.deleted.length > 0 ? plural(preview.deleted.length, "deployment") : "",
        preview.blobs.deleted > 0
          ? `${plural(preview.blobs.deleted, "stored file")} (${formatBytes(preview.blobs.bytes)})`
          : "",
      ]
        .filter(Boolean)
        .join(" and ");
      const answer = await promptLine(io, `Delete ${what}? This cannot be undone. [y/N] `);
      if (!/^y(es)?$/i.test(answer)) throw new CliError("not pruned: nothing was deleted");
    }
    const report = await client.prune(project, dryRun);
    out.result({ project, ...report });
    // After a preview the kept list was just shown; the answer says what actually went.
    printReport(out, project, report, { kept: values.yes === true || dryRun, hint: dryRun });
    return 0;
  },
};

function printReport(
  out: Output,
  project: string,
  report: PruneReport,
  show: { kept: boolean; hint: boolean },
): void {
  const { dryRun, kept, deleted, blobs } = report;
  if (show.kept) {
    out.line(`Kept ${plural(kept.length, "deployment")} of ${project}${kept.length > 0 ? ":" : "."}`);
  }
  if (show.kept && kept.length > 0) {
    const rows = kept.map((d) => [d.id, d.shortId, KEEP_REASONS[d.reason] ?? d.reason]);
    out.line(indent(table(["ID", "SHORT ID", "REASON"], rows)));
  }
  if (deleted.length === 0) {
    out.line(dryRun ? "No deployment would be deleted." : "No deployment was deleted.");
  } else {
    out.line(`${dryRun ? "Would delete" : "Deleted"} ${plural(deleted.length, "deployment")}:`);
    const rows = deleted.map((d) => [d.id, d.shortId, d.environment, d.branch, formatDate(d.createdAt)]);
    out.line(indent(table(["ID", "SHORT ID", "ENVIRONMENT", "BRANCH", "CREATED"], rows)));
  }
  const files = `${plural(blobs.deleted, "stored file")} (${formatBytes(blobs.bytes)})`;
  out.line(dryRun ? `Would free ${files}.` : `Freed ${files}.`);
  if (blobs.skipped) out.line(`Stored files were not swept: ${blobs.skipped}.`);
  if (show.hint && (deleted.length > 0 || blobs.deleted > 0)) {
    out.line(`Nothing was deleted (dry run). Run \`miaobu deployments prune ${project}\` to delete.`);
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
