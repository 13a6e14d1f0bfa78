/** What an API token may do, each including the ones before it; sessions may do everything. */
export const TOKEN_SCOPES = ["read", "deploy", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
