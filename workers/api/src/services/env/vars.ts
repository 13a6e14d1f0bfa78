import type { EnvVarRow } from "@miaobu/db";
import { type Environment, envVars } from "@miaobu/db";
import { and, asc, count, eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { decryptSecret, encryptSecret } from "../../lib/secrets.ts";
import { findProject } from "../projects/find.ts";

/** `PUBLIC_API`, `_X`: what a shell accepts as a variable name, at most 128 characters. */
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Largest value, in UTF-8 bytes. */
export const MAX_ENV_VALUE_BYTES = 64 * 1024;
/** Most variables per project and environment. */
export const MAX_ENV_VARS = 100;

/** A variable as the API lists it; a secret's value is never sent back. */
export interface EnvVarJson {
  key: string;
  environment: Environment;
  secret: boolean;
  value: string | null;
  updatedAt: string;
}

type KeyDeps = Pick<Deps, "db" | "config">;

// The row a ciphertext belongs to, bound as AES-GCM additional data.
const contextOf = (projectId: string, environment: Environment, key: string) =>
  `env:${projectId}:${environment}:${key}`;

async function present({ config }: Pick<Deps, "config">, row: EnvVarRow): Promise<EnvVarJson> {
  return {
    key: row.key,
    environment: row.environment,
    secret: row.secret,
    value: row.secret
      ? null
      : await decryptSecret(
          config.keys.encryptionKey,
          row.valueEncrypted,
          contextOf(row.projectId, row.environment, row.key),
        ),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** Why a key is refused, or null when it is fine. */
export function envKeyProblem(key: string): string | null {
  if (!ENV_KEY_PATTERN.test(key)) {
    return "a key is 1–128 letters, digits and underscores, not starting with a digit";
  }
  if (key.toUpperCase().startsWith("MIAOBU_")) return "keys starting with MIAOBU_ are reserved";
  return null;
}

/** The project's variables of both environments, by environment then key. */
export async function listEnvVars(deps: KeyDeps, ownerId: string, projectRef: string): Promise<EnvVarJson[]> {
  const project = await findProject(deps, ownerId, projectRef);
  const rows = await deps.db
    .select()
    .from(envVars)
    .where(eq(envVars.projectId, project.id))
    .orderBy(asc(envVars.environment), asc(envVars.key));
  return Promise.all(rows.map((row) => present(deps, row)));
}

export interface SetEnvInput {
  environment: Environment;
  key: string;
  value: string;
  secret: boolean;
}

/** Creates or replaces a variable; the next build of that environment gets it. */
export async function setEnvVar(
  deps: KeyDeps & Pick<Deps, "now">,
  ownerId: string,
  projectRef: string,
  input: SetEnvInput,
): Promise<EnvVarJson> {
  const problem = envKeyProblem(input.key);
  if (problem) throw new ApiError("invalid_input", problem, { errors: [{ field: "key", message: problem }] });
  if (new TextEncoder().encode(input.value).byteLength > MAX_ENV_VALUE_BYTES) {
    const message = `a value is at most ${MAX_ENV_VALUE_BYTES} bytes`;
    throw new ApiError("payload_too_large", message, { errors: [{ field: "value", message }] });
  }
  const project = await findProject(deps, ownerId, projectRef);
  const { environment, key } = input;
  const where = and(eq(envVars.projectId, project.id), eq(envVars.environment, environment));
  const existing = await deps.db
    .select({ key: envVars.key })
    .from(envVars)
    .where(and(where, eq(envVars.key, key)))
    .get();
  if (!existing) {
    const total = await deps.db.select({ n: count() }).from(envVars).where(where).get();
    if ((total?.n ?? 0) >= MAX_ENV_VARS) {
      throw new ApiError(
        "invalid_input",
        `The ${environment} environment already has ${MAX_ENV_VARS} variables, the most allowed.`,
      );
    }
  }
  const at = deps.now();
  const row: EnvVarRow = {
    projectId: project.id,
    environment,
    key,
    valueEncrypted: await encryptSecret(
      deps.config.keys.encryptionKey,
      input.value,
      contextOf(project.id, environment, key),
    ),
    secret: input.secret,
    createdAt: at,
    updatedAt: at,
  };
  await deps.db
    .insert(envVars)
    .values(row)
    .onConflictDoUpdate({
      target: [envVars.projectId, envVars.environment, envVars.key],
      set: { valueEncrypted: row.valueEncrypted, secret: row.secret, updatedAt: at },
    });
  return present(deps, row);
}

/** Removes a variable; 404 when the project or the variable does not exist. */
export async function unsetEnvVar(
  deps: KeyDeps,
  ownerId: string,
  projectRef: string,
  environment: Environment,
  key: string,
): Promise<void> {
  const project = await findProject(deps, ownerId, projectRef);
  const removed = await deps.db
    .delete(envVars)
    .where(and(eq(envVars.projectId, project.id), eq(envVars.environment, environment), eq(envVars.key, key)))
    .returning({ key: envVars.key });
  if (removed.length === 0) throw new ApiError("not_found", `No ${environment} variable ${key}.`);
}

/** The decrypted variables of a build's environment and which of them are secret (masked in its log). */
export async function decryptedEnvironment(
  { db, config }: KeyDeps,
  projectId: string,
  environment: Environment,
): Promise<{ env: Record<string, string>; secretEnvKeys: string[] }> {
  const rows = await db
    .select()
    .from(envVars)
    .where(and(eq(envVars.projectId, projectId), eq(envVars.environment, environment)))
    .orderBy(asc(envVars.key))
    .limit(MAX_ENV_VARS);
  const env: Record<string, string> = {};
  const secretEnvKeys: string[] = [];
  for (const row of rows) {
    env[row.key] = await decryptSecret(
      config.keys.encryptionKey,
      row.valueEncrypted,
      contextOf(projectId, environment, row.key),
    );
    if (row.secret) secretEnvKeys.push(row.key);
  }
  return { env, secretEnvKeys };
}
