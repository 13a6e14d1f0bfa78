import { loginBody } from "../routes/auth.ts";
import { pruneBody } from "../routes/retention.ts";
import { accountOperations } from "./operations-accounts.ts";
import { buildOperations } from "./operations-builds.ts";
import { domainOperations } from "./operations-domains.ts";
import { json } from "./operations-json.ts";
import type { Operation } from "./registry.ts";

/**
 * Every route of the API not declared in the contract yet (packages/contract); a test fails when a route of
 * the app is in neither, or in both.
 */
export const operations: Operation[] = [
  {
    method: "get",
    path: "/healthz",
    tag: "health",
    summary: "Liveness: the Worker runs",
    auth: "none",
    success: { status: 200, description: '`{ "status": "ok" }`' },
    rateLimit: [],
  },
  {
    method: "get",
    path: "/readyz",
    tag: "health",
    summary: "Readiness: D1, storage and Durable Objects answered, with timings and the version",
    auth: "none",
    success: { status: 200, description: "`{ status, version, checks: { d1, storage, durableObjects } }`" },
    errors: { 503: "a dependency did not answer (same body, `status: unavailable`)" },
    rateLimit: [],
  },
  {
    method: "get",
    path: "/api/v1/openapi.json",
    tag: "meta",
    summary: "This document",
    auth: "none",
    success: { status: 200, description: "OpenAPI 3.1" },
    rateLimit: ["unauthenticated"],
  },
  {
    method: "get",
    path: "/api/v1/docs",
    tag: "meta",
    summary: "The API reference as a web page",
    auth: "none",
    success: { status: 200, description: "HTML", contentType: "text/html" },
    rateLimit: ["unauthenticated"],
  },
  {
    method: "post",
    path: "/api/v1/auth/login",
    tag: "auth",
    summary: "Log in with email and password for an API token",
    auth: "none",
    body: json(loginBody, { email: "me@example.com", password: "correct horse battery staple" }),
    success: { status: 201, description: "`{ token, tokenId, expiresAt, user }`; the token is shown once" },
    errors: { 401: "wrong email or password" },
    rateLimit: ["login"],
  },
  {
    method: "post",
    path: "/api/v1/auth/logout",
    tag: "auth",
    summary: "Revoke the token that made the request",
    auth: "token",
    success: { status: 204, description: "revoked" },
    rateLimit: ["api"],
  },
  {
    method: "get",
    path: "/api/v1/me",
    tag: "auth",
    summary: "The user the credential belongs to",
    auth: "token",
    success: { status: 200, description: "`{ user }`" },
    rateLimit: ["api"],
  },
  ...accountOperations,
  {
    method: "post",
    path: "/api/v1/projects/:project/prune",
    tag: "deployments",
    summary: "Apply the retention policy now: delete old deployments and the files no kept one uses",
    description:
      "Needs the `admin` scope. With `dryRun: true` nothing changes and the answer says what would go. See docs/retention.md.",
    auth: "token",
    body: json(pruneBody, { dryRun: true }, true),
    success: {
      status: 200,
      description:
        "`{ dryRun, kept: [{ id, shortId, reason }], deleted: [{ id, shortId, environment, branch, createdAt }], blobs: { deleted, bytes, skipped? } }`",
    },
    errors: { 409: "another retention sweep of this project is running" },
    rateLimit: ["api"],
  },
  {
    method: "get",
    path: "/api/v1/deployments/:id/files/:hash",
    tag: "deployments",
    summary: "Export: the raw bytes of one file the deployment's manifest names",
    description:
      "`ETag` is the hash and the answer is cacheable for a year (`If-None-Match` answers 304). A hash the " +
      "manifest does not name answers 404, like one that does not exist.",
    auth: "token",
    success: { status: 200, description: "the file's bytes", contentType: "application/octet-stream" },
    errors: {
      404: "no such deployment or not yours, no file of it with this hash, or its bytes are missing from storage",
      409: "the deployment has no files yet (a build before its upload step)",
      410: "the deployment was deleted by the project's retention policy",
    },
    rateLimit: ["blobs"],
  },
  {
    method: "put",
    path: "/api/v1/deployments/:id/blobs/:hash",
    tag: "deployments",
    summary: "Upload one file's bytes",
    auth: "token-or-callback",
    body: { type: "octet-stream" },
    success: { status: 201, description: "`{ hash, size }`" },
    errors: { 409: "the deployment is not uploading", 422: "the bytes do not hash to `hash`" },
    rateLimit: ["blobs"],
  },
  {
    method: "post",
    path: "/api/v1/deployments/:id/blobs",
    tag: "deployments",
    summary: "Upload files in one multipart request, one part per file named by its hash",
    auth: "token-or-callback",
    body: { type: "multipart" },
    success: { status: 201, description: "`{ uploaded }`" },
    errors: { 409: "the deployment is not uploading", 422: "a part does not hash to its name" },
    rateLimit: ["blobs"],
  },
  ...buildOperations,
  ...domainOperations,
];
