// The API's D1 database as the local platform prepares it at start: migrations, the administrator, and the
// secrets of a data folder from before this install had its own keys.
import fs from "node:fs/promises";
import path from "node:path";
import { hashPassword, newId, randomBase32, verifyPassword } from "@miaobu/shared";
import type { Miniflare } from "miniflare";
import { unstable_splitSqlQuery } from "wrangler";
import { DEV_VALUES } from "./deploy-check.ts";
import { reencryptSecrets } from "./reencrypt.ts";
import { type LoadedSecrets, PREVIOUS_ENCRYPTION_KEY_FILE } from "./secrets.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
export const ADMIN_EMAIL = "admin@localhost";

/** The D1 binding as Miniflare hands it to Node. */
export type D1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

/** Applies the D1 migrations not yet applied, recording them in `d1_migrations` as wrangler does. */
export async function applyMigrations(db: D1): Promise<string[]> {
  await db
    .prepare(
      "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .run();
  const applied = new Set(
    (await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((r) => r.name),
  );
  const dir = path.join(ROOT, "workers/api/migrations");
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    const sql = await fs.readFile(path.join(dir, file), "utf8");
    const statements = unstable_splitSqlQuery(sql.replaceAll("--> statement-breakpoint", ""))
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    await db.batch([
      ...statements.map((s) => db.prepare(s)),
      db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(file),
    ]);
    done.push(file);
  }
  return done;
}

/** Creates admin@localhost on first start; resets its password when MIAOBU_ADMIN_PASSWORD differs. */
async function ensureAdmin(
  db: D1,
  password: string | undefined,
  log: (line: string) => void,
): Promise<string | null> {
  const existing = await db
    .prepare("SELECT id, password_hash FROM users WHERE email = ?")
    .bind(ADMIN_EMAIL)
    .first<{ id: string; password_hash: string | null }>();
  if (existing) {
    if (password && !(existing.password_hash && (await verifyPassword(password, existing.password_hash)))) {
      await db
        .prepare("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(await hashPassword(password), existing.id)
        .run();
      log(`The password of ${ADMIN_EMAIL} was set from MIAOBU_ADMIN_PASSWORD.`);
    }
    return null;
  }
  const chosen = password ?? randomBase32(20);
  await db
    .prepare(
      "INSERT INTO users (id, email, name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, 1, ?)",
    )
    .bind(newId("user"), ADMIN_EMAIL, "Administrator", await hashPassword(chosen), Date.now())
    .run();
  return password ? null : chosen;
}

/** Moves a data folder's state onto this install's secrets: seals old values again, ends old sessions. */
async function adoptSecrets(db: D1, loaded: LoadedSecrets, log: (line: string) => void) {
  const { secrets, created, previousEncryptionKey: previous } = loaded;
  const oldKeys = [...(previous ? [previous] : []), DEV_VALUES.MIAOBU_ENCRYPTION_KEY ?? ""];
  const { reencrypted, unreadable } = await reencryptSecrets(db, secrets.encryptionKey, oldKeys);
  if (reencrypted > 0) {
    const from = previous
      ? `secrets/${PREVIOUS_ENCRYPTION_KEY_FILE}`
      : "wrangler.toml's public development key";
    log(`Re-encrypted ${reencrypted} secret values with this install's new key (they were under ${from}).`);
  }
  if (unreadable > 0) {
    log(
      `warning: ${unreadable} secret values open with no key this data folder has (was secrets/encryption.key deleted?). They stay as they are and cannot be read; set them again.`,
    );
  } else if (previous) {
    log(
      `Every secret value is under secrets/encryption.key now; secrets/${PREVIOUS_ENCRYPTION_KEY_FILE} may be deleted.`,
    );
  }
  if (created.includes("sessionSecret")) {
    const now = Date.now();
    const ended = await db
      .prepare("UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL AND expires_at > ?")
      .bind(now, now)
      .run();
    const count = ended.meta.changes ?? 0;
    if (count > 0) {
      log(
        `Ended ${count} console sessions signed with the previous session secret: this install has its own now, so those users sign in again.`,
      );
    }
  }
}

/** Migrates, moves old secrets onto this install's, and makes sure the administrator exists. */
export async function prepareDatabase(
  db: D1,
  secrets: LoadedSecrets,
  adminPassword: string | undefined,
  log: (line: string) => void,
): Promise<string | null> {
  const applied = await applyMigrations(db);
  if (applied.length > 0) log(`Applied migrations: ${applied.join(", ")}`);
  await adoptSecrets(db, secrets, log);
  return ensureAdmin(db, adminPassword, log);
}
