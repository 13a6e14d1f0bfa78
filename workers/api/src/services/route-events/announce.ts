import { routes } from "@miaobu/db";
import { ROUTE_CHANGE_MAX_HOSTNAMES } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { chunk } from "../../lib/batch.ts";

/** The API answers a write after at most this long waiting for the router to hear of it. */
const ANNOUNCE_TIMEOUT_MS = 2_000;

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the router did not answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, late]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

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
  /** How long the write's answer waits for the router; a hung one is logged like a failed one. */
  timeoutMs = ANNOUNCE_TIMEOUT_MS,
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
        await withTimeout(
          events.changed(
            { projectId, hostnames: part },
            added.filter((hostname) => inPart.has(hostname)),
          ),
          timeoutMs,
        );
      }
    } catch (error) {
      logFailure(projectId, error);
    }
  };
}
