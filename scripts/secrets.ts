// The local platform's own secrets, made once per data folder. wrangler.toml's values for them are public
// (they are in the repository), so a platform running with them would let anyone who can read the code sign
// console sessions and preview logins and decrypt every stored secret (issue 13, C1).
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { randomBase32 } from "@miaobu/shared";
import { DEV_VALUES } from "./deploy-check.ts";

/** The secrets of one install, as the Workers' bindings take them. */
export interface InstallSecrets {
  /** `MIAOBU_SESSION_SECRET`: HS256 key of console session JWTs (at least 32 characters). */
  sessionSecret: string;
  /** `MIAOBU_ENCRYPTION_KEY`: base64 of the 32-byte AES-GCM key of env vars, GitHub tokens and TLS keys. */
  encryptionKey: string;
  /** `MIAOBU_PREVIEW_SECRET`: HMAC key of the router's preview-login cookies. */
  previewSecret: string;
  /** `BUILDER_SECRET`: the bearer secret the API sends the builder. */
  builderSecret: string;
}

/** Where each secret lives under `<data>/secrets/`. */
export const SECRET_FILES: Readonly<Record<keyof InstallSecrets, string>> = {
  sessionSecret: "session.key",
  encryptionKey: "encryption.key",
  previewSecret: "preview.key",
  builderSecret: "builder.key",
};

const GENERATE: Record<keyof InstallSecrets, () => string> = {
  sessionSecret: () => randomBase32(52),
  encryptionKey: () => randomBytes(32).toString("base64"),
  previewSecret: () => randomBase32(52),
  builderSecret: () => randomBase32(40),
};

// Checked at start, since a file edited by hand would otherwise fail at the Workers' first request.
const FORMAT: Record<keyof InstallSecrets, (value: string) => string | null> = {
  sessionSecret: (v) => (v.length >= 32 ? null : "is shorter than 32 characters"),
  encryptionKey: (v) =>
    /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, "base64").byteLength === 32
      ? null
      : "is not 32 bytes in base64",
  previewSecret: (v) => (v.length >= 32 ? null : "is shorter than 32 characters"),
  builderSecret: (v) => (v.length >= 16 ? null : "is shorter than 16 characters"),
};

/** This install's secrets, and which of them this call made (a new data folder, or one from before). */
export interface LoadedSecrets {
  secrets: InstallSecrets;
  created: (keyof InstallSecrets)[];
  /** `secrets/encryption.previous.key`: the key being rotated away from, whose values are sealed again. */
  previousEncryptionKey: string | null;
}

/** The file an operator renames `encryption.key` to, to rotate it (docs/configuration.md). */
export const PREVIOUS_ENCRYPTION_KEY_FILE = "encryption.previous.key";

/** Reads `<data>/secrets/*.key`, making each missing one; the folder is 0700 and every file 0600. */
export async function installSecrets(dataDir: string): Promise<LoadedSecrets> {
  const dir = path.join(dataDir, "secrets");
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  await adoptLegacyBuilderSecret(dataDir, path.join(dir, SECRET_FILES.builderSecret));
  const secrets = {} as InstallSecrets;
  const created: (keyof InstallSecrets)[] = [];
  for (const name of Object.keys(SECRET_FILES) as (keyof InstallSecrets)[]) {
    const file = path.join(dir, SECRET_FILES[name]);
    const existing = await readSecret(file);
    if (existing !== null) {
      await fs.chmod(file, 0o600);
      const problem = FORMAT[name](existing);
      if (problem) throw new Error(`${file} ${problem}; delete it to make a new one (docs/configuration.md)`);
      secrets[name] = existing;
      continue;
    }
    secrets[name] = GENERATE[name]();
    // `wx`: two platforms started on one folder at once must not each write a different key.
    await fs.writeFile(file, `${secrets[name]}\n`, { mode: 0o600, flag: "wx" });
    created.push(name);
  }
  const previousFile = path.join(dir, PREVIOUS_ENCRYPTION_KEY_FILE);
  const previousEncryptionKey = await readSecret(previousFile);
  if (previousEncryptionKey !== null && FORMAT.encryptionKey(previousEncryptionKey)) {
    throw new Error(`${previousFile} is not 32 bytes in base64`);
  }
  return { secrets, created, previousEncryptionKey };
}

async function readSecret(file: string): Promise<string | null> {
  try {
    const value = (await fs.readFile(file, "utf8")).trim();
    if (value === "") throw new Error(`${file} is empty; delete it to make a new one`);
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

// Data folders from before kept the builder's secret in `<data>/builder-secret`.
async function adoptLegacyBuilderSecret(dataDir: string, to: string): Promise<void> {
  try {
    await fs.rename(path.join(dataDir, "builder-secret"), to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Throws when a binding holds one of wrangler.toml's public development values. */
export function refuseDevValues(worker: string, bindings: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(DEV_VALUES)) {
    if (bindings[name] === value) {
      throw new Error(`the ${worker} Worker would run with the public development value of ${name}`);
    }
  }
}
