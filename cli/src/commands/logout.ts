import { type Command, newClient } from "../command";
import { writeConfig } from "../config";
import { ApiError, ConnectionError } from "../errors";

export const logout: Command = {
  name: "logout",
  summary: "Revoke the stored token and forget it",
  description: [
    "Asks the API to revoke the token, then removes it from the config file. The token is",
    "forgotten even when the API cannot be reached or says it is already invalid.",
  ].join("\n"),
  positionals: [],
  options: {},
  examples: ["miaobu logout"],
  async run(context) {
    const { io, out } = context;
    const config = await context.config();
    if (!config.token) {
      out.line("Not logged in.");
      out.result({ api: config.api, loggedOut: false, revoked: false });
      return 0;
    }
    let revoked = false;
    try {
      const client = newClient(config.api, config.token, context.debug);
      await client.logout();
      revoked = true;
    } catch (error) {
      // Whatever the API says, a local logout must still forget the token.
      if (error instanceof ApiError && error.status === 401) revoked = true;
      else if (error instanceof ApiError || error instanceof ConnectionError) {
        out.note(`warning: the token was not revoked on the server (${error.message})`);
      } else throw error;
    }
    const stored = await context.stored();
    if (stored.token) {
      await writeConfig(io.env, { api: stored.api, email: stored.email });
    }
    out.line(`Logged out of ${config.api}.`);
    if (config.tokenSource === "env") out.note("note: MIAOBU_TOKEN is still set in your environment");
    out.result({ api: config.api, loggedOut: true, revoked });
    return 0;
  },
};
