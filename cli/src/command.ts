import { ApiClient } from "./api";
import { type ResolvedConfig, readConfig, requireToken, resolveConfig, type StoredConfig } from "./config";
import type { Io, Output } from "./output";
import type { ProgressMode } from "./progress";
import { VERSION } from "./version";

/** One option of a command, described once for both `parseArgs` and `--help`. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Shown in help after a string option, e.g. `<name>`. */
  value?: string;
  /** Shown in the usage line; the command itself checks it, to give a precise message. */
  required?: boolean;
  description: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
}

/** Parsed command line, as `parseArgs` gives it. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** What a command runs with. */
export interface CommandContext {
  io: Io;
  out: Output;
  progressMode: ProgressMode;
  debug: ((line: string) => void) | undefined;
  /** The stored config file, unchanged. */
  stored(): Promise<StoredConfig>;
  /** The file combined with `MIAOBU_API` and `MIAOBU_TOKEN`. */
  config(): Promise<ResolvedConfig>;
  /** A client holding the token; fails with "run `miaobu login`" when there is none. */
  client(): Promise<ApiClient>;
}

/** A command: its help text and options, and what it does. */
export interface Command {
  /** The words that select it, e.g. `projects create`. */
  name: string;
  summary: string;
  description?: string;
  positionals: PositionalSpec[];
  options: Record<string, OptionSpec>;
  examples: string[];
  /** Returns the exit code (0 when omitted). */
  run(context: CommandContext, args: ParsedArgs): Promise<number | undefined>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", description: "Print exactly one JSON object on stdout, and no progress" },
  help: { type: "boolean", short: "h", description: "Show help for this command" },
};

/** Builds the context of one run; API access is created lazily so `--help` never touches the disk. */
export function createContext(io: Io, out: Output): CommandContext {
  const debugEnabled = io.env.MIAOBU_DEBUG === "1" || io.env.MIAOBU_DEBUG === "true";
  const debug = debugEnabled ? (line: string) => io.stderr.write(`debug: ${line}\n`) : undefined;
  let stored: Promise<StoredConfig> | undefined;
  const context: CommandContext = {
    io,
    out,
    progressMode: out.json ? "off" : io.stderr.isTTY ? "tty" : "plain",
    debug,
    stored: () => {
      stored ??= readConfig(io.env);
      return stored;
    },
    config: async () => resolveConfig(io.env, await context.stored()),
    client: async () => {
      const config = await context.config();
      const token = requireToken(config);
      return newClient(config.api, token, debug);
    },
  };
  return context;
}

/** A client for `api`, with the CLI's user agent. */
export function newClient(api: string, token: string | undefined, debug?: (line: string) => void): ApiClient {
  return new ApiClient({
    api,
    token,
    userAgent: `miaobu-cli/${VERSION} node/${process.versions.node}`,
    debug,
  });
}

/** The `Usage:` line of a command, e.g. `miaobu deploy <dir> --project <name> [options]`. */
export function usageLine(command: Command): string {
  const parts = [`miaobu ${command.name}`];
  for (const positional of command.positionals) {
    parts.push(positional.required ? `<${positional.name}>` : `[<${positional.name}>]`);
  }
  for (const [name, option] of Object.entries(command.options)) {
    if (option.required) parts.push(`--${name} ${option.value ?? "<value>"}`);
  }
  if (Object.values(command.options).some((option) => !option.required)) parts.push("[options]");
  return parts.join(" ");
}

/** The full `--help` text of a command. */
export function commandHelp(command: Command): string {
  const lines = [command.summary, "", "Usage:", `  ${usageLine(command)}`];
  if (command.description) lines.push("", ...command.description.split("\n"));
  if (command.positionals.length > 0) {
    lines.push("", "Arguments:");
    const width = Math.max(...command.positionals.map((p) => p.name.length + 2));
    for (const positional of command.positionals) {
      lines.push(`  ${`<${positional.name}>`.padEnd(width)}  ${positional.description}`);
    }
  }
  lines.push("", "Options:", ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }));
  if (command.examples.length > 0) lines.push("", "Examples:", ...command.examples.map((e) => `  ${e}`));
  return `${lines.join("\n")}\n`;
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const labels = Object.entries(options).map(([name, option]) => {
    const short = option.short ? `-${option.short}, ` : "    ";
    const value = option.type === "string" ? ` ${option.value ?? "<value>"}` : "";
    return { label: `${short}--${name}${value}`, description: option.description };
  });
  const width = Math.max(...labels.map((entry) => entry.label.length));
  return labels.map((entry) => `  ${entry.label.padEnd(width)}  ${entry.description}`);
}
