import { certificates, domains } from "@miaobu/db";
import { newId, randomBase32 } from "@miaobu/shared";
import { and, asc, count, eq, gt, isNull, lt, ne, or } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError, notFound } from "../../errors.ts";
import { runBatch } from "../../lib/batch.ts";
import { certificateOf, presentCertificate, releaseCertificate } from "../certificates/manage.ts";
import { findDeployment } from "../deployments/find.ts";
import { findProject } from "../projects/find.ts";
import type { ProjectRow } from "../projects/present.ts";
import { watchRoutes } from "../route-events/announce.ts";
import { checkDomain } from "./check.ts";
import { normalizeDomain } from "./hostname.ts";
import { type DomainJson, type DomainRow, presentDomain } from "./present.ts";
import { domainRouteStatement, dropDomainRoute } from "./routing.ts";

/** Most domains one project may have. */
export const MAX_DOMAINS_PER_PROJECT = 50;

type DomainDeps = Pick<Deps, "db" | "config" | "now" | "routeEvents">;

function hostnameOf(deps: Pick<Deps, "config">, raw: string): string {
  const checked = normalizeDomain(raw, deps.config.sitesBase);
  if ("problem" in checked) {
    throw new ApiError("invalid_input", `"${raw.slice(0, 100)}": ${checked.problem}.`, {
      errors: [{ field: "hostname", message: checked.problem }],
    });
  }
  return checked.hostname;
}

/** The owner's domain of a project by hostname; 404 for anyone else's. */
export async function findDomain(deps: DomainDeps, ownerId: string, projectRef: string, rawHost: string) {
  const project = await findProject(deps, ownerId, projectRef);
  const checked = normalizeDomain(rawHost, deps.config.sitesBase);
  const row =
    "hostname" in checked
      ? await deps.db
          .select()
          .from(domains)
          .where(and(eq(domains.projectId, project.id), eq(domains.hostname, checked.hostname)))
          .get()
      : undefined;
  if (!row) throw notFound("domain");
  return { project, row };
}

const present = (deps: DomainDeps, row: DomainRow, project: ProjectRow) =>
  presentDomain(deps.config, row, project.productionDeploymentId);

/** A pinned deployment must be a ready deployment of the same project. */
async function pinTarget(deps: DomainDeps, ownerId: string, project: ProjectRow, id: string | null) {
  if (id === null) return null;
  const { deployment } = await findDeployment(deps, ownerId, id, project.id);
  if (deployment.status !== "ready") {
    throw new ApiError(
      "conflict",
      `Deployment ${id} is ${deployment.status}; only a ready deployment can be pinned.`,
    );
  }
  return deployment.id;
}

/** Attaches a hostname to a project as `pending`; the answer lists the DNS records that verify it. */
export async function addDomain(
  deps: DomainDeps,
  ownerId: string,
  projectRef: string,
  input: { hostname: string; deploymentId?: string | null },
): Promise<DomainJson> {
  const project = await findProject(deps, ownerId, projectRef);
  const hostname = hostnameOf(deps, input.hostname);
  const existing = await deps.db
    .select({ projectId: domains.projectId, status: domains.status })
    .from(domains)
    .where(eq(domains.hostname, hostname))
    .all();
  if (existing.some((d) => d.projectId === project.id)) {
    throw new ApiError("conflict", `${hostname} is already attached to this project.`);
  }
  if (existing.some((d) => d.status === "verified")) {
    throw new ApiError("conflict", `${hostname} is already in use by another project.`);
  }
  const [total] = await deps.db.select({ n: count() }).from(domains).where(eq(domains.projectId, project.id));
  if ((total?.n ?? 0) >= MAX_DOMAINS_PER_PROJECT) {
    throw new ApiError("conflict", `A project has at most ${MAX_DOMAINS_PER_PROJECT} domains.`);
  }
  const deploymentId = await pinTarget(deps, ownerId, project, input.deploymentId ?? null);
  const at = deps.now();
  const row: DomainRow = {
    id: newId("domain", at),
    projectId: project.id,
    hostname,
    verificationToken: `miaobu-verify=${randomBase32(32)}`,
    status: "pending",
    detail: "create the DNS records below, then verify",
    deploymentId,
    verifiedAt: null,
    checkedAt: null,
    createdAt: at,
    updatedAt: at,
  };
  await deps.db.insert(domains).values(row);
  return present(deps, row, project);
}

/** A project's domains, by hostname. */
export async function listDomains(
  deps: DomainDeps,
  ownerId: string,
  projectRef: string,
): Promise<DomainJson[]> {
  const project = await findProject(deps, ownerId, projectRef);
  const rows = await deps.db
    .select()
    .from(domains)
    .where(eq(domains.projectId, project.id))
    .orderBy(asc(domains.hostname))
    .limit(MAX_DOMAINS_PER_PROJECT);
  const certs = await deps.db
    .select()
    .from(certificates)
    .innerJoin(domains, eq(domains.id, certificates.domainId))
    .where(eq(domains.projectId, project.id));
  const byDomain = new Map(certs.map(({ certificates: c }) => [c.domainId, presentCertificate(c)]));
  return rows.map((row) => ({ ...present(deps, row, project), certificate: byDomain.get(row.id) ?? null }));
}

/** One domain of a project. */
export async function getDomain(deps: DomainDeps, ownerId: string, projectRef: string, host: string) {
  const { project, row } = await findDomain(deps, ownerId, projectRef, host);
  const certificate = await certificateOf(deps, row.id);
  return {
    ...present(deps, row, project),
    certificate: certificate ? presentCertificate(certificate) : null,
  };
}

/** Checks the DNS now (the cron does the same on a schedule). */
export async function verifyDomain(deps: DomainDeps, ownerId: string, projectRef: string, host: string) {
  const { project, row } = await findDomain(deps, ownerId, projectRef, host);
  return present(deps, await checkDomain(deps, row), project);
}

/** Pins a domain to a ready deployment, or (null) makes it follow production again. */
export async function pinDomain(
  deps: DomainDeps,
  ownerId: string,
  projectRef: string,
  host: string,
  deploymentIdInput: string | null,
): Promise<DomainJson> {
  const { project, row } = await findDomain(deps, ownerId, projectRef, host);
  const deploymentId = await pinTarget(deps, ownerId, project, deploymentIdInput);
  const at = deps.now();
  const next: DomainRow = { ...row, deploymentId, updatedAt: at };
  const serveFrom = deploymentId ?? project.productionDeploymentId;
  const announce = await watchRoutes(deps, project.id);
  await runBatch(deps.db, [
    deps.db.update(domains).set({ deploymentId, updatedAt: at }).where(eq(domains.id, row.id)),
    ...(row.status === "verified" && serveFrom ? [domainRouteStatement(deps.db, row, serveFrom, at)] : []),
  ]);
  await announce();
  return present(deps, next, project);
}

/** Detaches a domain; its host stops answering at once (within the router's cache bound). */
export async function removeDomain(deps: DomainDeps, ownerId: string, projectRef: string, host: string) {
  const { row } = await findDomain(deps, ownerId, projectRef, host);
  await releaseCertificate(deps, row.id);
  const announce = await watchRoutes(deps, row.projectId);
  await runBatch(deps.db, [
    dropDomainRoute(deps.db, row),
    deps.db.delete(domains).where(eq(domains.id, row.id)),
  ]);
  await announce();
}

/** How often the cron re-checks a domain, and how long a never-verified domain keeps being re-checked. */
export const RECHECK_INTERVAL_MS = 15 * 60 * 1000;
export const PENDING_CHECK_DAYS = 7;

/** Re-checks the domains checked longest ago (at most `limit`): the cron trigger's share of the work. */
export async function recheckDomains(deps: DomainDeps, limit = 50): Promise<number> {
  const at = deps.now();
  const due = await deps.db
    .select()
    .from(domains)
    .where(
      and(
        or(isNull(domains.checkedAt), lt(domains.checkedAt, at - RECHECK_INTERVAL_MS + 60_000)),
        // Pending domains are retried for a week, then only on demand.
        or(ne(domains.status, "pending"), gt(domains.createdAt, at - PENDING_CHECK_DAYS * 86_400_000)),
      ),
    )
    .orderBy(asc(domains.checkedAt))
    .limit(limit);
  let checked = 0;
  for (const row of due) {
    try {
      await checkDomain(deps, row);
      checked++;
    } catch (error) {
      console.error("domains: check failed", row.id, error instanceof Error ? error.stack : error);
    }
  }
  return checked;
}
