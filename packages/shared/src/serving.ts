// A project's serving settings, declared once for the database, the API contract, the CLI and the console.

/** How the router treats trailing slashes and `.html`: Cloudflare Workers' `assets.html_handling`. */
export const HTML_HANDLING_MODES = [
  "auto-trailing-slash",
  "force-trailing-slash",
  "drop-trailing-slash",
  "none",
] as const;
export type HtmlHandling = (typeof HTML_HANDLING_MODES)[number];

/**
 * What the router answers for a missing path: Cloudflare Workers' `assets.not_found_handling`, plus `auto`,
 * Pages' inference (the nearest 404.html, else a single-page app).
 */
export const NOT_FOUND_HANDLING_MODES = ["auto", "single-page-application", "404-page", "none"] as const;
export type NotFoundHandling = (typeof NOT_FOUND_HANDLING_MODES)[number];

/** The settings' names and values before 0006 (still accepted on input for one release). */
export const TRAILING_SLASH_MODES = ["auto", "force-trailing-slash", "drop-trailing-slash", "none"] as const;
export type TrailingSlashMode = (typeof TRAILING_SLASH_MODES)[number];
export const NOT_FOUND_MODES = ["auto", "spa", "404-page", "none"] as const;
export type NotFoundMode = (typeof NOT_FOUND_MODES)[number];
