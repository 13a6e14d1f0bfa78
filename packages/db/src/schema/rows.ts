// The row types services and presenters use, where the tables are.
import type { apiTokens } from "./accounts.ts";
import type { deployments, routes } from "./deployments.ts";
import type { certificates, domains } from "./domains.ts";
import type { envVars, projects } from "./projects.ts";

export type ProjectRow = typeof projects.$inferSelect;
export type DeploymentRow = typeof deployments.$inferSelect;
export type RouteRow = typeof routes.$inferInsert;
export type DomainRow = typeof domains.$inferSelect;
export type CertificateRow = typeof certificates.$inferSelect;
export type EnvVarRow = typeof envVars.$inferSelect;
export type TokenRow = typeof apiTokens.$inferSelect;
