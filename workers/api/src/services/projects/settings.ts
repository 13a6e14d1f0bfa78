import type { ProjectSettingsInput } from "@miaobu/contract";
import { hashPassword } from "@miaobu/shared";
import type { ProjectRow } from "./present.ts";
import { servingColumns } from "./serving.ts";

type SettingsColumns = Partial<
  Pick<
    ProjectRow,
    | "productionBranch"
    | "gitUrl"
    | "rootDir"
    | "framework"
    | "installCommand"
    | "buildCommand"
    | "outputDir"
    | "nodeVersion"
    | "buildTimeoutSeconds"
    | "htmlHandling"
    | "notFoundHandling"
    | "trailingSlash"
    | "notFound"
    | "skewProtectionDays"
    | "previewPasswordHash"
    | "retainProduction"
    | "retainPreview"
    | "retainDays"
  >
>;

/** The columns a settings input changes; empty strings clear like `null`. */
export async function settingsColumns(input: ProjectSettingsInput): Promise<SettingsColumns> {
  const columns: SettingsColumns = {};
  const text = (value: string | null | undefined) => (value === undefined ? undefined : value || null);
  if (input.productionBranch !== undefined) columns.productionBranch = input.productionBranch;
  for (const key of [
    "gitUrl",
    "rootDir",
    "framework",
    "installCommand",
    "buildCommand",
    "outputDir",
    "nodeVersion",
  ] as const) {
    const value = text(input[key]);
    if (value !== undefined) columns[key] = value;
  }
  if (input.buildTimeoutSeconds !== undefined) columns.buildTimeoutSeconds = input.buildTimeoutSeconds;
  Object.assign(columns, servingColumns(input));
  if (input.skewProtectionDays !== undefined) columns.skewProtectionDays = input.skewProtectionDays;
  for (const key of ["retainProduction", "retainPreview", "retainDays"] as const) {
    const value = input[key];
    if (value !== undefined) columns[key] = value;
  }
  if (input.previewPassword !== undefined) {
    columns.previewPasswordHash =
      input.previewPassword === null ? null : await hashPassword(input.previewPassword);
  }
  return columns;
}
