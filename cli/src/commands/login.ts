import { hostname } from "node:os";
import type { Command } from "../command";
import { newClient } from "../command";
import { DEFAULT_API, normalizeApi, writeConfig } from "../config";
import { UsageError } from "../errors";
import { isInteractive, promptHidden, promptLine, readStdin } from "../prompt";

export const login: Command = {
  name: "login",
  summary: "Log in to a Miaobu API and store a token",
  description: [
    "Exchanges your email and password for an API token and stores it in the config file",
    "(mode 0600). On a terminal it asks for what is missing, without echoing the password;",
    "elsewhere give --email and pipe the password with --password-stdin.",
  ].join("\n"),
  positionals: [],
  options: {
    email: { type: "string", value: "<email>", description: "Your account's email (asked on a terminal)" },
    "password-stdin": { type: "boolean", description: "Read the password from stdin" },
    api: {
      type: "string",
      value: "<url>",
      description: `The API to log in to (default: $MIAOBU_API, the stored one, or ${DEFAULT_API})`,
    },
  },
  examples: [
    "miaobu login",
    "miaobu login --email admin@localhost",
    'printf %s "$PASSWORD" | miaobu login --email admin@localhost --password-stdin',
    "miaobu login --api https://miaobu.example.com",
  ],
  async run(context, { values }) {
    const { io, out } = context;
    const stored = await context.stored();
    const api = normalizeApi(
      typeof values.api === "string" ? values.api : io.env.MIAOBU_API || stored.api || DEFAULT_API,
    );
    const interactive = isInteractive(io);

    let email = typeof values.email === "string" ? values.email.trim() : "";
    if (email === "") {
      if (!interactive)
        throw new UsageError("give --email when not on a terminal (see `miaobu login --help`)");
      email = await promptLine(io, stored.email ? `Email (${stored.email}): ` : "Email: ");
      if (email === "" && stored.email) email = stored.email;
      if (email === "") throw new UsageError("an email is needed to log in");
    }

    let password: string;
    if (values["password-stdin"] === true) {
      password = await readStdin(io);
    } else {
      if (!interactive) {
        throw new UsageError("give --password-stdin when not on a terminal (see `miaobu login --help`)");
      }
      password = await promptHidden(io, "Password: ");
    }
    if (password === "") throw new UsageError("the password is empty");

    const client = newClient(api, undefined, context.debug);
    const answer = await client.login(email, password, `miaobu CLI on ${hostname()}`);
    const file = await writeConfig(io.env, {
      api,
      token: answer.token,
      email: answer.user.email,
      expiresAt: answer.expiresAt,
    });
    out.line(`Logged in to ${api} as ${answer.user.email} (token expires ${answer.expiresAt.slice(0, 10)})`);
    out.result({
      api,
      user: answer.user,
      tokenId: answer.tokenId,
      expiresAt: answer.expiresAt,
      configFile: file,
    });
    if (io.env.MIAOBU_TOKEN) out.note("note: MIAOBU_TOKEN is set and wins over the stored token");
    return 0;
  },
};
