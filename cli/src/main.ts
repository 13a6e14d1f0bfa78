import { type ParseArgsConfig, parseArgs } from "node:util";
import {
  type Command,
  commandHelp,
  createContext,
  GLOBAL_OPTIONS,
  type OptionSpec,
  usageLine,
} from "./command";
import { cancel, deployHook, trigger } from "./commands/builds";
import { cacheClear } from "./commands/cache";
import { deploy } from "./commands/deploy";
import { deployments } from "./commands/deployments";
import { deploymentsDownload } from "./commands/deployments-download";
import { deploymentsPrune } from "./commands/deployments-prune";
import { detect } from "./commands/detect";
import {
  domainsAdd,
  domainsCertificate,
  domainsList,
  domainsRemove,
  domainsVerify,
} from "./commands/domains";
import { envList, envSet, envUnset } from "./commands/env";
import { login } from "./commands/login";
import { logout } from "./commands/logout";
import { logs } from "./commands/logs";
import { projectsCreate, projectsDelete, projectsList } from "./commands/projects";
import { projectsUpdate } from "./commands/projects-update";
import { promote } from "./commands/promote";
import { rollback } from "./commands/rollback";
import { tokensCreate, tokensList, tokensRevoke } from "./commands/tokens";
import { whoami } from "./commands/whoami";
import { DEFAULT_API } from "./config";
import { describeError, EXIT_OK, EXIT_USAGE, UsageError } from "./errors";
import { type Io, Output } from "./output";
import { VERSION } from "./version";

/** Every command, in the order `miaobu --help` lists them. */
export const COMMANDS: readonly Command[] = [
  login,
  logout,
  whoami,
  projectsCreate,
  projectsList,
  projectsUpdate,
  projectsDelete,
  deploy,
  deployments,
  deploymentsDownload,
  deploymentsPrune,
  detect,
  promote,
  rollback,
  trigger,
  logs,
  cancel,
  deployHook,
  cacheClear,
  envList,
  envSet,
  envUnset,
  domainsList,
  domainsAdd,
  domainsVerify,
  domainsCertificate,
  domainsRemove,
  tokensList,
  tokensCreate,
  tokensRevoke,
];

const GROUPS: Record<string, string> = {
  projects: "Create, list, update and delete projects",
  deployments: "List a project's deployments, download one's files, prune old ones",
  cache: "Clear a project's build cache",
  env: "List, set and unset a project's environment variables",
  domains: "Add, list, verify and remove custom domains; their TLS certificates",
  tokens: "List, create and revoke API tokens",
};

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const json = argv.includes("--json");
  const out = new Output(io, json);
  try {
    return await dispatch(argv, io, out);
  } catch (error) {
    const { message, exitCode, code } = describeError(error);
    if (io.env.MIAOBU_DEBUG === "1" && error instanceof Error && error.stack) {
      io.stderr.write(`${error.stack}\n`);
      if (error.cause) io.stderr.write(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
    }
    io.stderr.write(`error: ${message}\n`);
    out.result({ error: { code, message, exitCode } });
    return exitCode;
  }
}

async function dispatch(argv: readonly string[], io: Io, out: Output): Promise<number> {
  // Flags may come before the command (`miaobu --json projects list`); only global ones are allowed there.
  let index = 0;
  let help = false;
  while (index < argv.length && (argv[index] ?? "").startsWith("-")) {
    const flag = argv[index];
    if (flag === "--version" || flag === "-v") {
      if (out.json) out.result({ version: VERSION });
      else io.stdout.write(`${VERSION}\n`);
      return EXIT_OK;
    }
    if (flag === "--help" || flag === "-h") help = true;
    else if (flag !== "--json") throw new UsageError(`unknown option ${flag} (see \`miaobu --help\`)`);
    index += 1;
  }
  const words = argv.slice(index);
  if (words[0] === "help") {
    words.shift();
    help = true;
  }
  if (words.length === 0) {
    io.stdout.write(mainHelp());
    return EXIT_OK;
  }

  const first = words[0] ?? "";
  if (first in GROUPS) {
    const sub = words[1];
    const command = sub === undefined ? undefined : COMMANDS.find((c) => c.name === `${first} ${sub}`);
    if (!command) {
      if (sub === undefined || sub === "--help" || sub === "-h") {
        if (help || sub !== undefined) {
          io.stdout.write(groupHelp(first));
          return EXIT_OK;
        }
        io.stderr.write(groupHelp(first));
        return EXIT_USAGE;
      }
      // `deployments` is a group and a command of its own: `miaobu deployments <project>` lists.
      const own = COMMANDS.find((c) => c.name === first);
      if (own) return runCommand(own, words.slice(1), help, io, out);
      if (sub.startsWith("-")) {
        io.stderr.write(groupHelp(first));
        return EXIT_USAGE;
      }
      throw new UsageError(`unknown command "${first} ${sub}" (see \`miaobu ${first} --help\`)`);
    }
    return runCommand(command, words.slice(2), help, io, out);
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) throw new UsageError(`unknown command "${first}" (see \`miaobu --help\`)`);
  return runCommand(command, words.slice(1), help, io, out);
}

async function runCommand(
  command: Command,
  args: string[],
  help: boolean,
  io: Io,
  out: Output,
): Promise<number> {
  const parsed = parseCommandArgs(command, args);
  if (help || parsed.values.help === true) {
    io.stdout.write(commandHelp(command));
    return EXIT_OK;
  }
  const required = command.positionals.filter((p) => p.required);
  if (parsed.positionals.length < required.length) {
    const missing = required[parsed.positionals.length];
    throw new UsageError(`missing <${missing?.name}>: usage: ${usageLine(command)}`);
  }
  if (parsed.positionals.length > command.positionals.length) {
    const extra = parsed.positionals[command.positionals.length];
    throw new UsageError(`unexpected argument "${extra}" (see \`miaobu ${command.name} --help\`)`);
  }
  const code = await command.run(createContext(io, out), parsed);
  return code ?? EXIT_OK;
}

/** Parses a command's arguments, turning every `parseArgs` complaint into a usage error. */
export function parseCommandArgs(command: Command, args: string[]) {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, spec] of Object.entries<OptionSpec>({ ...command.options, ...GLOBAL_OPTIONS })) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError(`${describeParseError(error)} (see \`miaobu ${command.name} --help\`)`);
  }
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = message ?? String(error);
  // Node quotes the option as '-p, --project <value>' or '--zz'; name it by its long form when it has one.
  const quoted = /'(-[^']*)'/.exec(text)?.[1] ?? "";
  const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(" ")[0];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${option ?? text}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (text.includes("argument missing")) return `${option} needs a value`;
    if (text.includes("ambiguous"))
      return `${option} needs a value (to pass one starting with "-", write ${option}=value)`;
    if (text.includes("does not take an argument")) return `${option} does not take a value`;
  }
  return text.split("\n")[0]?.replace(/\.$/, "") ?? text;
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `miaobu ${VERSION}: deploy static sites to Miaobu`,
    "",
    "Usage:",
    "  miaobu <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  -h, --help     Show help (also after any command)",
    "  -v, --version  Print the version",
    "      --json     Print exactly one JSON object on stdout",
    "",
    "Environment:",
    `  MIAOBU_API         The API's URL (default: the stored one, else ${DEFAULT_API})`,
    "  MIAOBU_TOKEN       An API token to use instead of the stored one",
    "  MIAOBU_CONFIG_DIR  Where config.json lives (default: $XDG_CONFIG_HOME/miaobu or ~/.config/miaobu)",
    "  MIAOBU_DEBUG=1     Log requests and show stack traces",
    "",
    "Examples:",
    "  miaobu login",
    "  miaobu projects create my-site",
    "  miaobu deploy ./dist --project my-site",
    "  miaobu rollback my-site",
    "",
    "Run `miaobu <command> --help` for a command's options. Exit codes: 0 ok, 1 error, 2 usage error.",
    "",
  ].join("\n");
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...commands.map((c) => c.name.length));
  // A group that is also a command (`deployments`) shows that command's help, then the others.
  const own = COMMANDS.find((c) => c.name === group);
  if (own) {
    return [
      commandHelp(own).trimEnd(),
      "",
      "Commands:",
      ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
      "",
      `Run \`miaobu ${group} <command> --help\` for a command's options.`,
      "",
    ].join("\n");
  }
  return [
    GROUPS[group] ?? group,
    "",
    "Usage:",
    `  miaobu ${group} <command> [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    `Run \`miaobu ${group} <command> --help\` for a command's options.`,
    "",
  ].join("\n");
}

function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
