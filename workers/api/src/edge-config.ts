import { type LockoutRule, parseLockoutRule, trustsCfConnectingIp } from "@miaobu/edge";
import { consoleOriginsOf } from "./services/sessions/origin.ts";

/** Who is calling and from where: the API's edge settings (docs/configuration.md). */
export interface EdgeConfig {
  /** Rate limits key on `CF-Connecting-IP` (Cloudflare) or on one shared identity (the local platform). */
  trustCfConnectingIp: boolean;
  /** Origins whose pages may make cookie-authenticated writes and CORS requests: the console's. */
  consoleOrigins: readonly string[];
  /** Growing delays after failed sign-ins per account (`MIAOBU_LOGIN_LOCKOUT`); null when off. */
  loginLockout: LockoutRule | null;
  /** The administrator the platform creates at start; the API answers 503 until it exists. Empty: no wait. */
  readyAdminEmail: string;
}

function optionalVar(env: Env, name: string): string {
  const value: unknown = Reflect.get(env, name);
  return typeof value === "string" ? value.trim() : "";
}

/** Reads the edge settings; throws on a malformed value, like the rest of the config. */
export function parseEdgeConfig(env: Env, sitesBaseDomain: string): EdgeConfig {
  return {
    trustCfConnectingIp: trustsCfConnectingIp(
      optionalVar(env, "MIAOBU_TRUST_CF_CONNECTING_IP"),
      sitesBaseDomain,
    ),
    consoleOrigins: consoleOriginsOf(optionalVar(env, "MIAOBU_CONSOLE_ORIGIN"), env.MIAOBU_API_URL),
    loginLockout: parseLockoutRule(
      "MIAOBU_LOGIN_LOCKOUT",
      optionalVar(env, "MIAOBU_LOGIN_LOCKOUT"),
      "5 30s 15m",
    ),
    readyAdminEmail: optionalVar(env, "MIAOBU_READY_ADMIN_EMAIL").toLowerCase(),
  };
}
