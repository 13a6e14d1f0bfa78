import { domains, projects } from "@miaobu/db";
import { and, eq, ne } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Config, Deps } from "../../env.ts";
import { runBatch } from "../../lib/batch.ts";
import { watchRoutes } from "../route-events/announce.ts";
import { type RecordType, ResolverError, resolveDoh } from "./dns.ts";
import { challengeName, type DomainRow } from "./present.ts";
import { domainRouteStatement, dropDomainRoute } from "./routing.ts";

/** What the DNS says about a domain: the problems found, none when it is correctly set up. */
export interface Inspection {
  problems: string[];
}

/** Looks up the ownership TXT and where the hostname points, through the configured DoH resolver. */
export async function inspectDomain(config: Pick<Config, "domains">, row: DomainRow): Promise<Inspection> {
  const { dohUrl, target } = config.domains;
  const ask = (name: string, type: RecordType) => resolveDoh(dohUrl, name, type);
  const problems: string[] = [];
  const txt = await ask(challengeName(row.hostname), "TXT");
  if (!txt.values.includes(row.verificationToken)) {
    problems.push(
      txt.values.length === 0
        ? `no TXT record at ${challengeName(row.hostname)}`
        : `the TXT record at ${challengeName(row.hostname)} does not contain ${row.verificationToken}`,
    );
  }
  const cname = await ask(row.hostname, "CNAME");
  if (cname.values.includes(target)) return { problems };
  // An apex (or a flattened CNAME) must resolve to the target's own addresses.
  const [a, aaaa, targetA, targetAaaa] = await Promise.all([
    ask(row.hostname, "A"),
    ask(row.hostname, "AAAA"),
    ask(target, "A"),
    ask(target, "AAAA"),
  ]);
  const mine = [...a.values, ...aaaa.values];
  const theirs = new Set([...targetA.values, ...targetAaaa.values]);
  if (mine.length === 0) {
    problems.push(
      cname.values.length > 0
        ? `${row.hostname} is a CNAME to ${cname.values[0]}, not to ${target}`
        : `${row.hostname} has no CNAME to ${target} and no A/AAAA records`,
    );
  } else if (theirs.size === 0 || !mine.every((address) => theirs.has(address))) {
    problems.push(`${row.hostname} points at ${mine.slice(0, 4).join(", ")}, not at ${target}`);
  }
  return { problems };
}

/** Checks a domain's DNS and applies the outcome: status, detail, and whether the router serves it. */
export async function checkDomain(
  deps: Pick<Deps, "db" | "config" | "now" | "routeEvents">,
  row: DomainRow,
): Promise<DomainRow> {
  const { db } = deps;
  const at = deps.now();
  let problems: string[];
  try {
    ({ problems } = await inspectDomain(deps.config, row));
  } catch (error) {
    if (!(error instanceof ResolverError)) throw error;
    // Nothing is known: a resolver outage must not take sites down.
    const detail = `could not check the DNS: ${error.message}; it will be checked again`;
    await db.update(domains).set({ detail, checkedAt: at }).where(eq(domains.id, row.id));
    return { ...row, detail, checkedAt: at };
  }
  if (problems.length === 0) {
    const taken = await db
      .select({ id: domains.id })
      .from(domains)
      .where(and(eq(domains.hostname, row.hostname), eq(domains.status, "verified"), ne(domains.id, row.id)))
      .get();
    if (taken) problems.push(`${row.hostname} is already verified by another project`);
  }
  const statements: BatchItem<"sqlite">[] = [];
  let next: DomainRow;
  if (problems.length === 0) {
    next = {
      ...row,
      status: "verified",
      detail: null,
      verifiedAt: row.verifiedAt ?? at,
      checkedAt: at,
      updatedAt: at,
    };
    const project = await db
      .select({ production: projects.productionDeploymentId })
      .from(projects)
      .where(eq(projects.id, row.projectId))
      .get();
    const deploymentId = row.deploymentId ?? project?.production ?? null;
    if (deploymentId) statements.push(domainRouteStatement(db, row, deploymentId, at));
  } else {
    const status = row.status === "pending" ? "pending" : "misconfigured";
    next = { ...row, status, detail: problems.join("; "), checkedAt: at, updatedAt: at };
    statements.push(dropDomainRoute(db, row));
  }
  statements.unshift(
    db
      .update(domains)
      .set({
        status: next.status,
        detail: next.detail,
        verifiedAt: next.verifiedAt,
        checkedAt: at,
        updatedAt: at,
      })
      .where(eq(domains.id, row.id)),
  );
  // The cron re-checks every domain: only a change of status moves its route.
  const announce = next.status === row.status ? null : await watchRoutes(deps, row.projectId);
  await runBatch(db, statements);
  await announce?.();
  return next;
}
