import { depsOf } from "./deps.ts";
import { renewDueCertificates } from "./services/certificates/manage.ts";
import { recheckDomains } from "./services/domains/manage.ts";
import { pruneAll } from "./services/retention/sweep.ts";

/**
 * The cron trigger (`[triggers]` in wrangler.toml): re-checks custom domains' DNS, renews certificates, then
 * applies the retention policy to the projects due (docs/retention.md).
 */
export async function runScheduled(
  env: Env,
  now: () => number = Date.now,
  waitUntil?: (promise: Promise<unknown>) => void,
): Promise<void> {
  const deps = depsOf(env, waitUntil, now);
  const checked = await recheckDomains(deps);
  const renewed = await renewDueCertificates(deps);
  console.log(
    JSON.stringify({ level: "info", msg: "scheduled", domainsChecked: checked, certificatesDue: renewed }),
  );
  // pruneAll logs each project's failure and goes on; this catches only a failure to list the projects.
  await pruneAll(deps).catch((error: unknown) => {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "retention: run failed",
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  });
}

/** `scheduled` handler of the API Worker. */
export const scheduled: ExportedHandlerScheduledHandler<Env> = (_controller, env, ctx) => {
  ctx.waitUntil(runScheduled(env, Date.now, (promise) => ctx.waitUntil(promise)));
};
