import { sql } from "drizzle-orm";
import { createApp } from "./app.ts";
import { analyzeRoutes } from "./routes/analyze.ts";
import { auth, me } from "./routes/auth.ts";
import { buildRoutes } from "./routes/builds.ts";
import { callbackRoutes, settleAfterFinalize } from "./routes/callbacks.ts";
import { deploymentRoutes } from "./routes/deployments.ts";
import { hookRoutes } from "./routes/hooks.ts";
import { logRoutes } from "./routes/logs.ts";
import { projectRoutes } from "./routes/projects.ts";

const app = createApp();

const routes = app
  .get("/healthz", async (c) => {
    await c.get("deps").db.run(sql`select 1`);
    return c.json({ status: "ok" as const });
  })
  .route("/api/v1/auth", auth)
  .route("/api/v1/me", me)
  .route("/api/v1/projects", projectRoutes)
  // Before the deployment routes, so it wraps the builder's finalize.
  .use("/api/v1/deployments/:id/finalize", settleAfterFinalize)
  .route("/api/v1", deploymentRoutes)
  .route("/api/v1", buildRoutes)
  .route("/api/v1", analyzeRoutes)
  .route("/api/v1", logRoutes)
  .route("/api/v1/builds", callbackRoutes)
  .route("/api/v1/hooks", hookRoutes);

/** The API's routes and types, for a typed client (`hc<AppType>`). */
export type AppType = typeof routes;

export { BuildLog } from "./durable-objects/build-log.ts";
export { ProjectCoordinator } from "./durable-objects/project-coordinator.ts";
export { RateLimiter } from "./durable-objects/rate-limiter.ts";

export default app;
