import { sql } from "drizzle-orm";
import { createApp } from "./app.ts";
import { auth, me } from "./routes/auth.ts";
import { deploymentRoutes } from "./routes/deployments.ts";
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
  .route("/api/v1", deploymentRoutes);

/** The API's routes and types, for a typed client (`hc<AppType>`). */
export type AppType = typeof routes;

export { BuildLog } from "./durable-objects/build-log.ts";
export { ProjectCoordinator } from "./durable-objects/project-coordinator.ts";
export { RateLimiter } from "./durable-objects/rate-limiter.ts";

export default app;
