import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { CliError } from "./errors";

export const DEFAULT_API = "http://localhost:8787";

/** What `miaobu login` stores. */
export interface StoredConfig {
  api?: string;
  token?: string;
  email?: string;
  expiresAt?: string;
}

/** The API and token a command uses once environment variables and the file are combined. */
export interface ResolvedConfig {
  api: string;
  token: string | undefined;
  /** Where the token came from, so messages can say what to fix. */
  tokenSource: "env" | "file" | "none";
  email: string | undefined;
  expiresAt: string | undefined;
}

/**
 * The folder holding `config.json`: `$MIAOBU_CONFIG_DIR`, else `$XDG_CONFIG_HOME/miaobu`,
 * else `~/.config/miaobu`.
 */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.MIAOBU_CONFIG_DIR) return path.resolve(env.MIAOBU_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(homedir(), ".config");
  return path.join(base, "miaobu");
}

/** The full path of the config file. */
export function configPath(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), "config.json");
}

/** Reads the stored config; a missing file is an empty config, a corrupt one an error saying where it is. */
export async function readConfig(env: NodeJS.ProcessEnv): Promise<StoredConfig> {
  const file = configPath(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    const record = parsed as Record<string, unknown>;
    const config: StoredConfig = {};
    for (const key of ["api", "token", "email", "expiresAt"] as const) {
      const value = record[key];
      if (typeof value === "string") config[key] = value;
    }
    return config;
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: fix or delete it, then run \`miaobu login\``, {
      cause: error,
    });
  }
}

/** Writes the config atomically with mode 0600, since it holds a bearer token. */
export async function writeConfig(env: NodeJS.ProcessEnv, config: StoredConfig): Promise<string> {
  const dir = configDir(env);
  const file = configPath(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    // The mode given to writeFile is filtered by the umask; make sure it is exactly 0600.
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
  return file;
}

/** Strips trailing slashes so paths can be appended. */
export function normalizeApi(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`"${url}" is not a URL: give the API's address, such as ${DEFAULT_API}`, {
      exitCode: 2,
      code: "usage",
    });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CliError(`"${url}" is not an http(s) URL`, { exitCode: 2, code: "usage" });
  }
  return parsed.href.replace(/\/+$/, "");
}

/** Combines the file with `MIAOBU_API` and `MIAOBU_TOKEN`, which win over it. */
export function resolveConfig(env: NodeJS.ProcessEnv, stored: StoredConfig): ResolvedConfig {
  const api = normalizeApi(env.MIAOBU_API || stored.api || DEFAULT_API);
  if (env.MIAOBU_TOKEN) {
    return { api, token: env.MIAOBU_TOKEN, tokenSource: "env", email: undefined, expiresAt: undefined };
  }
  if (stored.token) {
    return {
      api,
      token: stored.token,
      tokenSource: "file",
      email: stored.email,
      expiresAt: stored.expiresAt,
    };
  }
  return { api, token: undefined, tokenSource: "none", email: stored.email, expiresAt: undefined };
}

/** The token to send, or the error telling the user to log in. */
export function requireToken(config: ResolvedConfig, now = Date.now()): string {
  if (!config.token) throw new CliError("not logged in: run `miaobu login`", { code: "not_logged_in" });
  if (config.tokenSource === "file" && config.expiresAt) {
    const expires = Date.parse(config.expiresAt);
    if (!Number.isNaN(expires) && expires <= now) {
      throw new CliError("your login has expired: run `miaobu login`", { code: "token_expired" });
    }
  }
  return config.token;
}
