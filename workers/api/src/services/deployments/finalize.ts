import { deployments } from "@miaobu/db";
import { parseRulesFiles, type RuleProblem } from "@miaobu/rules";
import { branchHost, deploymentHost, type Manifest, manifestBlobSizes, storageKeys } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError, type MissingBlob } from "../../errors.ts";
import { runBatch } from "../../lib/batch.ts";
import { missingHashes } from "../blobs/missing.ts";
import type { ProjectRow } from "../projects/present.ts";
import { assertNotSweeping } from "../retention/guards.ts";
import { watchRoutes } from "../route-events/announce.ts";
import { findDeployment } from "./find.ts";
import { readManifest } from "./manifest.ts";
import type { DeploymentRow } from "./present.ts";
import { productionStatements, upsertRoute } from "./routes.ts";

const RULES_FILES = ["_headers", "_redirects"] as const;

function missingReport(manifest: Manifest, missing: string[]): MissingBlob[] {
  const wanted = new Set(missing);
  const byHash = new Map<string, string[]>();
  const note = (hash: string, path: string) => {
    if (!wanted.has(hash)) return;
    const paths = byHash.get(hash) ?? [];
    paths.push(path);
    byHash.set(hash, paths);
  };
  for (const [path, entry] of Object.entries(manifest.files)) {
    note(entry.hash, path);
    if (entry.variants?.br) note(entry.variants.br.hash, `${path} (br)`);
    if (entry.variants?.gzip) note(entry.variants.gzip.hash, `${path} (gzip)`);
  }
  return missing.map((hash) => ({ hash, paths: byHash.get(hash) ?? [] }));
}

/**
 * Copies `/_headers` and `/_redirects` beside the manifest, stores them parsed as `rules.json` (always,
 * so the router reads one object) and returns the problems found in them.
 */
async function storeRulesFiles(
  storage: Storage,
  projectId: string,
  manifest: Manifest,
): Promise<RuleProblem[]> {
  const texts: Partial<Record<(typeof RULES_FILES)[number], string>> = {};
  for (const name of RULES_FILES) {
    const entry = manifest.files[`/${name}`];
    if (!entry) continue;
    const blob = await storage.get(storageKeys.blob(projectId, entry.hash));
    if (!blob) {
      throw new ApiError(
        "missing_blobs",
        `The file /${name} was never uploaded. Upload it, then finalize again.`,
        {
          missing: [{ hash: entry.hash, paths: [`/${name}`] }],
        },
      );
    }
    texts[name] = await blob.text();
    await storage.put(storageKeys.rulesFile(projectId, manifest.deploymentId, name), texts[name], {
      contentType: "text/plain; charset=utf-8",
    });
  }
  const { rules, report } = parseRulesFiles({ redirects: texts._redirects, headers: texts._headers });
  await storage.put(storageKeys.rules(projectId, manifest.deploymentId), JSON.stringify(rules), {
    contentType: "application/json",
  });
  return report;
}

/**
 * Marks a deployment ready once every blob of its manifest is stored, and moves its routes in one batch:
 * its own host, its branch alias and, for production, the project host, unless a newer deployment already
 * holds them. Finalizing a ready deployment again changes nothing, so a client may retry after a lost answer.
 */
export async function finalizeDeployment(
  deps: Pick<Deps, "db" | "storage" | "now" | "config" | "routeEvents">,
  ownerId: string,
  deploymentId: string,
): Promise<{ project: ProjectRow; deployment: DeploymentRow }> {
  const { db, storage, config } = deps;
  const found = await findDeployment(deps, ownerId, deploymentId);
  const { project, deployment } = found;
  if (deployment.status === "ready") return found;
  if (deployment.status !== "uploading") {
    throw new ApiError(
      "conflict",
      `The deployment is ${deployment.status}; only an uploading one can be finalized.`,
    );
  }
  assertNotSweeping(project, deps.now());
  const manifest = await readManifest(deps, project.id, deployment.id);
  const missing = await missingHashes(deps, project.id, [
    ...manifestBlobSizes(Object.values(manifest.files)).keys(),
  ]);
  if (missing.length > 0) {
    const report = missingReport(manifest, missing);
    const paths = report.flatMap((m) => m.paths);
    const shown = paths.slice(0, 10).join(", ") + (paths.length > 10 ? ", …" : "");
    throw new ApiError(
      "missing_blobs",
      `${paths.length} files of this deployment were not uploaded: ${shown}. Upload them, then finalize again.`,
      { missing: report },
    );
  }
  const rulesReport = await storeRulesFiles(storage, project.id, manifest);

  const at = deps.now();
  const announce = await watchRoutes(deps, project.id);
  await runBatch(db, [
    db
      .update(deployments)
      .set({ status: "ready", readyAt: at, rulesReport: JSON.stringify(rulesReport) })
      .where(and(eq(deployments.id, deployment.id), eq(deployments.status, "uploading"))),
    upsertRoute(db, {
      hostname: deploymentHost(deployment.shortId, project.slug, config.sitesBase),
      projectId: project.id,
      deploymentId: deployment.id,
      kind: "deployment",
      branch: null,
      updatedAt: at,
    }),
    upsertRoute(
      db,
      {
        hostname: branchHost(deployment.branch, project.slug, config.sitesBase),
        projectId: project.id,
        deploymentId: deployment.id,
        kind: "branch",
        branch: deployment.branch,
        updatedAt: at,
      },
      true,
    ),
    ...(deployment.environment === "production"
      ? productionStatements(db, config, project, deployment, at, true)
      : []),
  ]);
  await announce();
  // A newer deployment may already hold the aliases, so read back what actually happened.
  return findDeployment(deps, ownerId, deploymentId);
}
