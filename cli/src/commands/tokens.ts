import type { Command } from "../command";
import { UsageError } from "../errors";
import { formatDate, table } from "../output";
import type { TokenInfo } from "../types";

const SCOPES = ["read", "deploy", "admin"] as const;

function scopesOf(value: string | boolean | undefined): string[] {
  if (value === undefined) return ["deploy"];
  const list = String(value)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (list.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--scopes is a comma-separated list of read, deploy, admin (got "${String(value)}")`,
    );
  }
  return [...new Set(list)];
}

export const tokensList: Command = {
  name: "tokens list",
  summary: "List your API tokens",
  positionals: [],
  options: {},
  examples: ["miaobu tokens list", "miaobu tokens list --json"],
  async run(context) {
    const client = await context.client();
    const { tokens } = await client.listTokens();
    const { out } = context;
    out.result({ tokens });
    out.line(
      table(
        ["ID", "NAME", "SCOPES", "EXPIRES", "LAST USED", ""],
        tokens.map((t: TokenInfo) => [
          t.id,
          t.name,
          t.scopes.join(","),
          formatDate(t.expiresAt),
          t.lastUsedAt ? formatDate(t.lastUsedAt) : "never",
          t.current ? "(this one)" : "",
        ]),
      ),
    );
    return 0;
  },
};

export const tokensCreate: Command = {
  name: "tokens create",
  summary: "Create an API token (shown once)",
  description: [
    "Scopes: read (GET requests), deploy (also deploy, build, promote, roll back, cancel), admin",
    "(everything). Each includes the ones before it. The token is printed once; store it as a secret",
    "of your CI, e.g. MIAOBU_TOKEN.",
  ].join("\n"),
  positionals: [{ name: "name", required: true, description: "What the token is for, e.g. github-actions" }],
  options: {
    scopes: { type: "string", value: "<list>", description: "Comma-separated scopes (default: deploy)" },
    "expires-in-days": { type: "string", value: "<days>", description: "1-365 (default: 90)" },
  },
  examples: ["miaobu tokens create ci", "miaobu tokens create dashboard --scopes read --expires-in-days 7"],
  async run(context, { values, positionals }) {
    const [name = ""] = positionals;
    const scopes = scopesOf(values.scopes);
    const rawDays = values["expires-in-days"];
    const days = rawDays === undefined ? 90 : Number(rawDays);
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      throw new UsageError("--expires-in-days must be a whole number from 1 to 365");
    }
    const client = await context.client();
    const created = await client.createToken({ name, scopes, expiresInDays: days });
    const { out } = context;
    out.note(
      `Created ${created.id} (${created.scopes.join(",")}), expires ${formatDate(created.expiresAt)}.`,
    );
    out.note("It is shown only now:");
    out.line(created.token);
    out.result({ token: created });
    return 0;
  },
};

export const tokensRevoke: Command = {
  name: "tokens revoke",
  summary: "Revoke an API token",
  positionals: [{ name: "id", required: true, description: "The token's id, e.g. tok_…" }],
  options: {},
  examples: ["miaobu tokens revoke tok_01jd3k5x9q2mzr8t"],
  async run(context, { positionals }) {
    const [id = ""] = positionals;
    const client = await context.client();
    await client.revokeToken(id);
    context.out.line(`Revoked ${id}.`);
    context.out.result({ revoked: id });
    return 0;
  },
};
