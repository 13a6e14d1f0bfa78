import type { Deployment, RuleProblem } from "@miaobu/contract";
import type { DeploymentRow } from "@miaobu/db";
import { routes } from "@miaobu/db";
import { deploymentHost } from "@miaobu/shared";
import { and, eq, ne } from "drizzle-orm";
import { type Config, type Deps, siteUrl } from "../../env.ts";
import { parsePhases } from "../builds/phases.ts";
import type { ProjectRow } from "../projects/present.ts";

export type { DeploymentRow };

const KIND_ORDER = { production: 0, custom: 1, branch: 2, deployment: 3 } as const;

/** Hostnames routed to each deployment of a project other than its own host, production first. */
export async function aliasesOf({ db }: Pick<Deps, "db">, projectId: string): Promise<Map<string, string[]>> {
  const rows = await db
    .select({ hostname: routes.hostname, deploymentId: routes.deploymentId, kind: routes.kind })
    .from(routes)
    .where(and(eq(routes.projectId, projectId), ne(routes.kind, "deployment")))
    .all();
  rows.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.hostname.localeCompare(b.hostname));
  const out = new Map<string, string[]>();
  for (const row of rows) {
    const list = out.get(row.deploymentId) ?? [];
    list.push(row.hostname);
    out.set(row.deploymentId, list);
  }
  return out;
}

/** The `rules_report` column: the problems finalize found in `_redirects` and `_headers`. */
export function parseRulesReport(text: string | null): RuleProblem[] {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as RuleProblem[]) : [];
  } catch {
    return [];
  }
}

/** The deployment object of docs/api.md, as the contract declares it. */
export function presentDeployment(
  config: Config,
  project: ProjectRow,
  row: DeploymentRow,
  aliases: Map<string, string[]>,
): Deployment {
  return {
    id: row.id,
    shortId: row.shortId,
    projectId: row.projectId,
    project: project.slug,
    status: row.status,
    environment: row.environment,
    branch: row.branch,
    commitSha: row.commitSha,
    commitMessage: row.commitMessage,
    source: row.source,
    fileCount: row.fileCount,
    totalBytes: row.totalBytes,
    url: siteUrl(config, deploymentHost(row.shortId, project.slug, config.sitesBase)),
    aliases: (aliases.get(row.id) ?? []).map((host) => siteUrl(config, host)),
    isProduction: project.productionDeploymentId === row.id,
    createdAt: new Date(row.createdAt).toISOString(),
    readyAt: row.readyAt === null ? null : new Date(row.readyAt).toISOString(),
    errorMessage: row.errorMessage,
    rulesReport: parseRulesReport(row.rulesReport),
    // Builds: detected framework, each step with its time, and when the builder started and stopped.
    framework: row.framework,
    phases: parsePhases(row.phases),
    startedAt: row.startedAt === null ? null : new Date(row.startedAt).toISOString(),
    finishedAt: row.finishedAt === null ? null : new Date(row.finishedAt).toISOString(),
    // Built "without cache" (`cache: false` on the trigger): nothing was restored.
    skipCache: row.skipCache,
  };
}

/** Presents one deployment with its current aliases. */
export async function presentOne(
  deps: Pick<Deps, "db" | "config">,
  project: ProjectRow,
  row: DeploymentRow,
): Promise<Deployment> {
  return presentDeployment(deps.config, project, row, await aliasesOf(deps, project.id));
}
