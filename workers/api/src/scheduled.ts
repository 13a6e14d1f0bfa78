import { storageOf } from "@miaobu/storage";
import { drizzle } from "drizzle-orm/d1";
import { configOf, type Deps } from "./env.ts";
import { renewDueCertificates } from "./services/certificates/manage.ts";
import { recheckDomains } from "./services/domains/manage.ts";

/** The cron trigger (`[triggers]` in wrangler.toml): re-checks custom domains' DNS, renews certificates. */
export async function runScheduled(env: Env, now: () => number = Date.now): Promise<void> {
  const deps: Deps = { db: drizzle(env.DB), storage: storageOf(env), now, config: configOf(env) };
  const checked = await recheckDomains(deps);
  const renewed = await renewDueCertificates(deps);
  console.log(
    JSON.stringify({ level: "info", msg: "scheduled", domainsChecked: checked, certificatesDue: renewed }),
  );
}

/** `scheduled` handler of the API Worker. */
export const scheduled: ExportedHandlerScheduledHandler<Env> = (_controller, env, ctx) => {
  ctx.waitUntil(runScheduled(env));
};
