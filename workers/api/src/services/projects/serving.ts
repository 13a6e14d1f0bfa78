import type { HtmlHandling, NotFoundHandling, NotFoundMode, TrailingSlashMode } from "@miaobu/db";
import { ApiError } from "../../errors.ts";

// The settings before 0006 (`trailingSlash`, `notFound`), accepted on input for one release.
const HTML_FROM_LEGACY = {
  auto: "auto-trailing-slash",
  "force-trailing-slash": "force-trailing-slash",
  "drop-trailing-slash": "drop-trailing-slash",
  none: "none",
} as const satisfies Record<TrailingSlashMode, HtmlHandling>;
const NOT_FOUND_FROM_LEGACY = {
  auto: "auto",
  spa: "single-page-application",
  "404-page": "404-page",
  none: "none",
} as const satisfies Record<NotFoundMode, NotFoundHandling>;

function inverse<K extends string, V extends string>(map: Record<K, V>): Record<V, K> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k])) as Record<V, K>;
}
const HTML_TO_LEGACY = inverse(HTML_FROM_LEGACY);
const NOT_FOUND_TO_LEGACY = inverse(NOT_FOUND_FROM_LEGACY);

export interface ServingInput {
  htmlHandling?: HtmlHandling;
  notFoundHandling?: NotFoundHandling;
  trailingSlash?: TrailingSlashMode;
  notFound?: NotFoundMode;
}

export interface ServingColumns {
  htmlHandling?: HtmlHandling;
  notFoundHandling?: NotFoundHandling;
  trailingSlash?: TrailingSlashMode;
  notFound?: NotFoundMode;
}

/** One setting given by its new name, its old one, or both if they agree (422 if not). */
function pick<T>(
  field: string,
  value: T | undefined,
  legacy: T | undefined,
  legacyField: string,
): T | undefined {
  if (value !== undefined && legacy !== undefined && value !== legacy)
    throw new ApiError("invalid_input", `Give ${field} only (${legacyField} is its old name).`, {
      errors: [{ field: legacyField, message: `conflicts with ${field}` }],
    });
  return value ?? legacy;
}

/**
 * The serving columns an input sets. The old columns are written too, so that Workers of the release
 * before 0006 (during a deploy, or after a rollback) serve the same.
 */
export function servingColumns(input: ServingInput): ServingColumns {
  const columns: ServingColumns = {};
  const legacyHtml = input.trailingSlash && HTML_FROM_LEGACY[input.trailingSlash];
  const html = pick("htmlHandling", input.htmlHandling, legacyHtml, "trailingSlash");
  if (html) Object.assign(columns, { htmlHandling: html, trailingSlash: HTML_TO_LEGACY[html] });
  const legacyNotFound = input.notFound && NOT_FOUND_FROM_LEGACY[input.notFound];
  const notFound = pick("notFoundHandling", input.notFoundHandling, legacyNotFound, "notFound");
  if (notFound)
    Object.assign(columns, { notFoundHandling: notFound, notFound: NOT_FOUND_TO_LEGACY[notFound] });
  return columns;
}
