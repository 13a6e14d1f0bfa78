// What `npm run deploy` refuses to ship: the development values of secrets that wrangler.toml keeps in
// [vars] so the Workers' own test suites and `wrangler dev` work with no setup (`npm start` replaces them
// with secrets of its own, scripts/secrets.ts). A var would also shadow the secret of the same name.

/** Names whose wrangler.toml value is a public local development value, with that value. */
export const DEV_VALUES: Readonly<Record<string, string>> = {
  BUILDER_SECRET: "dev-builder-secret",
  MIAOBU_SESSION_SECRET: "dev-session-secret-change-me-in-production",
  MIAOBU_ENCRYPTION_KEY: "bWlhb2J1LWxvY2FsLWRldi1lbmNyeXB0aW9uLWtleSE=",
  MIAOBU_PREVIEW_SECRET: "local-dev-preview-secret-not-for-production",
};

/** The development secrets still set in a wrangler.toml's text, by name. */
export function devSecretsIn(toml: string): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(DEV_VALUES)) {
    const line = new RegExp(`^\\s*${name}\\s*=\\s*"${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`, "m");
    if (line.test(toml)) found.push(name);
  }
  return found;
}

/** The message for a config that still holds development secrets: which, and the commands that fix it. */
export function devSecretsMessage(configPath: string, names: readonly string[]): string {
  const config = configPath === "wrangler.toml" ? "" : ` -c ${configPath}`;
  return [
    `${configPath} still sets development values for ${names.join(", ")} in [vars].`,
    "Remove those lines from [vars], then store real values as secrets:",
    ...names.map((name) => `  npx wrangler secret put ${name}${config}`),
    "(docs/configuration.md says how to generate each.)",
  ].join("\n");
}
