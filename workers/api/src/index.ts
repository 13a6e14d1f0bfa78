import { createApp } from "./app.ts";
import { mcpRoutes } from "./mcp/server.ts";
import { bodyLimits } from "./middleware/body-limits.ts";
import { requestLog } from "./middleware/logging.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { readiness } from "./middleware/readiness.ts";
import { consoleCors, securityHeaders } from "./middleware/security-headers.ts";
import { openApiRoutes } from "./openapi/routes.ts";
import { analyzeRoutes } from "./routes/analyze.ts";
import { auth, me } from "./routes/auth.ts";
import { buildCacheRoutes } from "./routes/build-cache.ts";
import { buildRoutes } from "./routes/builds.ts";
import { cacheRoutes } from "./routes/cache.ts";
import { callbackRoutes, settleAfterFinalize } from "./routes/callbacks.ts";
import { deploymentRoutes } from "./routes/deployments.ts";
import { domainRoutes } from "./routes/domains.ts";
import { envRoutes } from "./routes/env.ts";
import { githubAuthRoutes } from "./routes/github.ts";
import { githubImportRoutes } from "./routes/github-import.ts";
import { healthRoutes } from "./routes/health.ts";
import { hookRoutes } from "./routes/hooks.ts";
import { logRoutes } from "./routes/logs.ts";
import { projectRoutes } from "./routes/projects.ts";
import { retentionRoutes } from "./routes/retention.ts";
import { sessionRoutes } from "./routes/session.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { githubWebhookRoutes } from "./routes/webhooks.ts";
import { scheduled } from "./scheduled.ts";

const app = createApp();
// Outermost first: the log line sees the final answer, every answer gets the security headers, CORS answers
// preflights before anything is charged, nothing but liveness is answered before the database is ready,
// oversized bodies are refused before they count against a quota.
app.use(requestLog, securityHeaders, consoleCors, readiness, bodyLimits, rateLimit());

const routes = app
  .route("/", healthRoutes)
  .route("/api/v1", openApiRoutes)
  .route("/api/v1/auth", auth)
  .route("/api/v1/auth", sessionRoutes)
  .route("/api/v1/auth/github", githubAuthRoutes)
  .route("/api/v1/github", githubImportRoutes)
  .route("/api/v1/me", me)
  .route("/api/v1/tokens", tokenRoutes)
  .route("/", projectRoutes)
  .route("/api/v1/projects", envRoutes)
  .route("/api/v1/projects", domainRoutes)
  .route("/api/v1/projects", retentionRoutes)
  .route("/api/v1/projects", cacheRoutes)
  // Before the deployment routes, so it wraps the builder's finalize.
  .use("/api/v1/deployments/:id/finalize", settleAfterFinalize)
  .route("/", deploymentRoutes)
  .route("/api/v1", buildRoutes)
  .route("/api/v1", analyzeRoutes)
  .route("/api/v1", logRoutes)
  .route("/api/v1/builds", callbackRoutes)
  .route("/api/v1/builds", buildCacheRoutes)
  .route("/api/v1/hooks", hookRoutes)
  .route("/api/v1/hooks", githubWebhookRoutes)
  // The API's operations as MCP tools, each calling this app in process with the caller's token.
  .route(
    "/mcp",
    mcpRoutes((request, env, ctx) => app.fetch(request, env, ctx)),
  );

/** The API's routes and types, for a typed client (`hc<AppType>`). */
export type AppType = typeof routes;

export { BuilderContainer } from "@miaobu/builder/container";
export { Lockout } from "@miaobu/edge/lockout-object";
export { BuildLog } from "./durable-objects/build-log.ts";
export { ProjectCoordinator } from "./durable-objects/project-coordinator.ts";
export { RateLimiter } from "./durable-objects/rate-limiter.ts";

// The Hono app itself stays the default export (tests mount it and read its routes); workerd calls its
// `fetch` for requests and `scheduled` for the cron trigger.
export default Object.assign(app, { scheduled });
