// The D1 schema, split by entity; drizzle-kit reads this folder (drizzle.config.ts).
export * from "@miaobu/shared/scopes";
export * from "@miaobu/shared/serving";
export {
  DEPLOYMENT_SOURCES,
  DEPLOYMENT_STATUSES,
  type DeploymentSource,
  type DeploymentStatus,
  ENVIRONMENTS,
  type Environment,
} from "@miaobu/shared/statuses";
export * from "./accounts.ts";
export * from "./deployments.ts";
export * from "./domains.ts";
export * from "./github.ts";
export * from "./projects.ts";
export * from "./rows.ts";
