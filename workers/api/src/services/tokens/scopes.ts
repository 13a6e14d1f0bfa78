import { TOKEN_SCOPES, type TokenScope } from "@miaobu/db";
import { ApiError } from "../../errors.ts";

/** Every scope: what sessions and `auth/login` tokens have. */
export const ALL_SCOPES: readonly TokenScope[] = TOKEN_SCOPES;

// Routes not declared in the contract yet (packages/contract) take their scope from these lists.
// The routes that change deployments but nothing else: what CI needs. Everything else that writes is admin.
export const DEPLOY_ROUTES: readonly [method: string, path: RegExp][] = [
  ["PUT", /^\/api\/v1\/deployments\/[^/]+\/blobs\/[^/]+$/],
  ["POST", /^\/api\/v1\/deployments\/[^/]+\/blobs$/],
  ["POST", /^\/api\/v1\/deployments\/[^/]+\/cancel$/],
  ["POST", /^\/api\/v1\/projects\/[^/]+\/builds$/],
];

// Reads that reveal credentials or configuration values: admin even though they are GETs.
// Domains are managed with `admin` only, reads included (a certificate download carries a private key).
export const ADMIN_READS =
  /^\/api\/v1\/(?:tokens|github)(?:\/|$)|^\/api\/v1\/projects\/[^/]+\/(?:env|domains)(?:\/|$)/;

/**
 * The scope a request to a route not declared in the contract needs: `read` for GETs, `deploy` for
 * deployment writes, `admin` for the rest.
 */
export function requiredScope(method: string, path: string): TokenScope {
  const normalized = path.length > 1 ? path.replace(/\/+$/, "") : path;
  if (ADMIN_READS.test(normalized)) return "admin";
  if (method === "GET" || method === "HEAD") return "read";
  // A token may always revoke itself.
  if (method === "POST" && normalized === "/api/v1/auth/logout") return "read";
  if (DEPLOY_ROUTES.some(([m, p]) => m === method && p.test(normalized))) return "deploy";
  return "admin";
}

/** Scopes are ordered: `admin` includes `deploy`, which includes `read`. */
export function hasScope(granted: readonly TokenScope[], needed: TokenScope): boolean {
  const rank = TOKEN_SCOPES.indexOf(needed);
  return granted.some((scope) => TOKEN_SCOPES.indexOf(scope) >= rank);
}

/** 403 `insufficient_scope` unless `granted` covers `needed`, which `method path` needs. */
export function requireScope(
  granted: readonly TokenScope[],
  needed: TokenScope,
  method: string,
  path: string,
): void {
  if (!hasScope(granted, needed)) {
    throw new ApiError(
      "insufficient_scope",
      `This token has the scopes ${granted.join(", ") || "(none)"}; ${method} ${path} needs "${needed}".`,
    );
  }
}

/** Parses the `scopes` column; unknown entries are dropped, so a bad row grants less, never more. */
export function parseScopes(raw: string): TokenScope[] {
  try {
    const value: unknown = JSON.parse(raw);
    if (!Array.isArray(value)) return [];
    return TOKEN_SCOPES.filter((scope) => value.includes(scope));
  } catch {
    return [];
  }
}
