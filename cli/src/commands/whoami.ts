import type { Command } from "../command";

export const whoami: Command = {
  name: "whoami",
  summary: "Show who you are logged in as, and where",
  positionals: [],
  options: {},
  examples: ["miaobu whoami", "miaobu whoami --json"],
  async run(context) {
    const config = await context.config();
    const client = await context.client();
    const { user } = await client.me();
    const name = user.name ? ` (${user.name})` : "";
    context.out.line(`${user.email}${name} on ${config.api}`);
    if (config.expiresAt) context.out.line(`token expires ${config.expiresAt}`);
    context.out.result({
      api: config.api,
      user,
      tokenSource: config.tokenSource,
      expiresAt: config.expiresAt ?? null,
    });
    return 0;
  },
};
