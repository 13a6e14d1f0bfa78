import { routes } from "@miaobu/db";
import { ROUTE_CHANGE_MAX_HOSTNAMES } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { chunk } from "../../lib/batch.ts";

async function hostnamesOf(db: Deps["db"], projectId: string): Promise<string[]> {
  const rows = await db
    .select({ hostname: routes.hostname })
    .from(routes)
    .where(eq(routes.projectId, projectId));
  return rows.map((row) => row.hostname);
}

function logFailure(projectId: string, error: unknown): void {
  console.error(
    JSON.stringify({
      level: "error",
      msg: "routes: a change was not announced; caches converge within their bounds",
      projectId,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
}

/**
 * Call before a write that moves a project's routes or changes the settings they carry; call the function it
 * returns after the write. That announces every host that pointed at the project before or points at it now,
 * so the router forgets them. It never throws: the write is done, and a lost announcement costs at most the
 * route caches' bounds.
 */
export async function watchRoutes(
  deps: Pick<Deps, "db" | "routeEvents">,
  projectId: string,
): Promise<() => Promise<void>> {
  const events = deps.routeEvents;
  if (!events) return async () => {};
  const before = await hostnamesOf(deps.db, projectId).catch((error: unknown) => {
    logFailure(projectId, error);
    return [];
  });
  return async () => {
    try {
      const after = await hostnamesOf(deps.db, projectId);
      const known = new Set(before);
      const added = after.filter((hostname) => !known.has(hostname));
      const hostnames = [...new Set([...before, ...after])];
      const parts = hostnames.length > 0 ? chunk(hostnames, ROUTE_CHANGE_MAX_HOSTNAMES) : [[]];
      for (const part of parts) {
        const inPart = new Set(part);
        await events.changed(
          { projectId, hostnames: part },
          added.filter((hostname) => inPart.has(hostname)),
        );
      }
    } catch (error) {
      logFailure(projectId, error);
    }
  };
}
