import type { Command } from "../command";
import { ApiError, CliError, UsageError } from "../errors";
import { formatDate, table } from "../output";
import { readStdin } from "../prompt";
import type { EnvVar } from "../types";

const ENVIRONMENTS = ["production", "preview"] as const;
type Environment = (typeof ENVIRONMENTS)[number];

const environmentOption = {
  type: "string" as const,
  short: "e",
  value: "<production|preview|all>",
  description: "The environment (default: all, i.e. both)",
};

/** `--environment`'s value as the environments it names. */
function environmentsOf(value: string | boolean | undefined): Environment[] {
  if (value === undefined || value === "all") return [...ENVIRONMENTS];
  if (value === "production" || value === "preview") return [value];
  throw new UsageError(`--environment must be production, preview or all, not "${String(value)}"`);
}

export const envList: Command = {
  name: "env list",
  summary: "List a project's environment variables (secrets masked)",
  positionals: [{ name: "project", required: true, description: "The project's name (or id)" }],
  options: { environment: environmentOption },
  examples: ["miaobu env list my-site", "miaobu env list my-site --environment preview --json"],
  async run(context, { values, positionals }) {
    const [project = ""] = positionals;
    const wanted = environmentsOf(values.environment);
    const client = await context.client();
    const { variables } = await client.listEnv(project);
    const shown = variables.filter((v) => (wanted as string[]).includes(v.environment));
    const { out } = context;
    out.result({ variables: shown });
    if (shown.length === 0) {
      out.line(`No variables. Add one with \`miaobu env set ${project} KEY value\`.`);
      return 0;
    }
    out.line(
      table(
        ["ENVIRONMENT", "KEY", "VALUE", "UPDATED"],
        shown.map((v: EnvVar) => [
          v.environment,
          v.key,
          v.secret ? "•••••• (secret)" : (v.value ?? ""),
          formatDate(v.updatedAt),
        ]),
      ),
    );
    return 0;
  },
};

export const envSet: Command = {
  name: "env set",
  summary: "Set an environment variable for the next builds",
  description: [
    "Sets KEY in the production and preview environments (or only the one --environment names). Without",
    "<value> the value is read from stdin, which keeps secrets out of your shell history. --secret makes",
    "the value write-only: it is never shown again and is masked in build logs.",
  ].join("\n"),
  positionals: [
    { name: "project", required: true, description: "The project's name (or id)" },
    { name: "key", required: true, description: "The variable's name, e.g. PUBLIC_API_URL" },
    { name: "value", required: false, description: "The value (default: read from stdin)" },
  ],
  options: {
    environment: environmentOption,
    secret: { type: "boolean", description: "Write-only: never listed, masked in build logs" },
  },
  examples: [
    "miaobu env set my-site PUBLIC_API_URL https://api.example.com",
    "miaobu env set my-site API_TOKEN --secret --environment production < token.txt",
  ],
  async run(context, { values, positionals }) {
    const [project = "", key = "", given] = positionals;
    const environments = environmentsOf(values.environment);
    const value = given ?? (await readStdin(context.io));
    const client = await context.client();
    const variables: EnvVar[] = [];
    for (const environment of environments) {
      const { variable } = await client.setEnv(project, environment, key, value, values.secret === true);
      variables.push(variable);
    }
    const where = environments.join(" and ");
    context.out.line(
      `Set ${key}${values.secret === true ? " (secret)" : ""} for ${where}; the next build uses it.`,
    );
    context.out.result({ variables });
    return 0;
  },
};

export const envUnset: Command = {
  name: "env unset",
  summary: "Remove an environment variable",
  positionals: [
    { name: "project", required: true, description: "The project's name (or id)" },
    { name: "key", required: true, description: "The variable's name" },
  ],
  options: { environment: environmentOption },
  examples: ["miaobu env unset my-site PUBLIC_API_URL", "miaobu env unset my-site TOKEN -e preview"],
  async run(context, { values, positionals }) {
    const [project = "", key = ""] = positionals;
    const environments = environmentsOf(values.environment);
    const client = await context.client();
    // The project must exist: a 404 below then means only "no such variable there".
    await client.getProject(project);
    const removed: Environment[] = [];
    for (const environment of environments) {
      try {
        await client.unsetEnv(project, environment, key);
        removed.push(environment);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    }
    if (removed.length === 0) {
      throw new CliError(`${key} is not set for ${environments.join(" or ")} in ${project}`, {
        code: "not_found",
      });
    }
    context.out.line(`Removed ${key} from ${removed.join(" and ")}.`);
    context.out.result({ removed: { key, environments: removed } });
    return 0;
  },
};
