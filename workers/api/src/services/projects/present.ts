import type { Project } from "@miaobu/contract";
import type { ProjectRow } from "@miaobu/db";
import { productionHost, redactGitUrl } from "@miaobu/shared";
import { type Config, siteUrl } from "../../env.ts";

export type { ProjectRow };

/** The project object of docs/api.md, as the contract declares it. */
export function presentProject(config: Config, row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.slug,
    productionBranch: row.productionBranch,
    productionDeploymentId: row.productionDeploymentId,
    productionUrl: siteUrl(config, productionHost(row.slug, config.sitesBase)),
    // A URL stored before credentials were refused keeps them in the row, never in an answer.
    gitUrl: row.gitUrl === null ? null : redactGitUrl(row.gitUrl),
    rootDir: row.rootDir,
    framework: row.framework,
    installCommand: row.installCommand,
    buildCommand: row.buildCommand,
    outputDir: row.outputDir,
    nodeVersion: row.nodeVersion,
    buildTimeoutSeconds: row.buildTimeoutSeconds,
    hasDeployHook: row.deployHookHash !== null,
    htmlHandling: row.htmlHandling,
    notFoundHandling: row.notFoundHandling,
    skewProtectionDays: row.skewProtectionDays,
    previewProtected: row.previewPasswordHash !== null,
    retainProduction: row.retainProduction,
    retainPreview: row.retainPreview,
    retainDays: row.retainDays,
    cacheClearedAt: row.cacheClearedAt === null ? null : new Date(row.cacheClearedAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
