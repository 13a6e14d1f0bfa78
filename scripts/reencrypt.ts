// A data folder from before per-install secrets holds env var values, GitHub tokens and TLS private keys
// sealed with wrangler.toml's public development key; one whose key is being rotated holds them under the
// previous key. At every start each value that does not open with this install's key but does with an old
// one is sealed again with this install's key, through D1.
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Miniflare } from "miniflare";

const ROOT = path.resolve(import.meta.dirname, "..");

type D1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

/** The API's AES-GCM sealing of secrets at rest (workers/api/src/lib/secrets.ts). */
export interface Sealing {
  encryptSecret(key: Uint8Array, plaintext: string, context: string): Promise<string>;
  decryptSecret(key: Uint8Array, sealed: string, context: string): Promise<string>;
}

/** The API's own sealing functions: plain WebCrypto, which Node has too, so there is one implementation. */
export async function apiSealing(): Promise<Sealing> {
  // Imported by a computed URL so tsc does not check that file here: it is written against workerd's types,
  // which disagree with Node's DOM lib on buffer types. The e2e suite checks the signatures by using them.
  const url = pathToFileURL(path.join(ROOT, "workers/api/src/lib/secrets.ts")).href;
  return (await import(url)) as Sealing;
}

/** A column the API seals, the row's key columns, and the context it binds as additional data. */
interface SealedColumn {
  table: string;
  column: string;
  keys: string[];
  context: (row: Record<string, string>) => string;
}

// The contexts repeat the API's (services/env/vars.ts, services/github/accounts.ts,
// services/certificates/manage.ts); a value sealed with another context would not open and be counted
// unreadable, which the e2e suite would catch. The ACME account key lives in storage, not D1: the API
// makes a new ACME account when the old one does not open.
const SEALED: SealedColumn[] = [
  {
    table: "env_vars",
    column: "value_encrypted",
    keys: ["project_id", "environment", "key"],
    context: (r) => `env:${r.project_id}:${r.environment}:${r.key}`,
  },
  {
    table: "users",
    column: "github_token_encrypted",
    keys: ["id"],
    context: (r) => `github-token:${r.id}`,
  },
  {
    table: "certificates",
    column: "private_key_encrypted",
    keys: ["domain_id", "hostname"],
    context: (r) => `tls-key:${r.domain_id}:${r.hostname}`,
  },
];

/** What a pass found: values sealed again, and values that open with no key at all. */
export interface Reencrypted {
  reencrypted: number;
  unreadable: number;
}

/** Seals again with `key` every value that opens only with one of `oldKeys` (all base64, 32 bytes). */
export async function reencryptSecrets(db: D1, key: string, oldKeys: string[]): Promise<Reencrypted> {
  const { encryptSecret, decryptSecret } = await apiSealing();
  const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, "base64"));
  const newKey = bytes(key);
  const old = oldKeys.map(bytes);
  const opens = (k: Uint8Array, sealed: string, context: string): Promise<string | null> =>
    decryptSecret(k, sealed, context).catch(() => null);
  const updates: ReturnType<D1["prepare"]>[] = [];
  let unreadable = 0;
  for (const { table, column, keys, context } of SEALED) {
    const { results } = await db
      .prepare(`SELECT ${keys.join(", ")}, ${column} AS sealed FROM ${table} WHERE ${column} IS NOT NULL`)
      .all<Record<string, string>>();
    for (const row of results) {
      const sealed = row.sealed ?? "";
      if ((await opens(newKey, sealed, context(row))) !== null) continue;
      let plain: string | null = null;
      for (const k of old) {
        plain ??= await opens(k, sealed, context(row));
      }
      if (plain === null) {
        unreadable++;
        continue;
      }
      // Only if the value is still the one read, so a write the API made meanwhile is kept.
      const where = [...keys.map((k) => `${k} = ?`), `${column} = ?`].join(" AND ");
      updates.push(
        db
          .prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where}`)
          .bind(await encryptSecret(newKey, plain, context(row)), ...keys.map((k) => row[k] ?? ""), sealed),
      );
    }
  }
  // One batch is one transaction: a value is either under the old key or the new one, never lost.
  if (updates.length > 0) await db.batch(updates);
  return { reencrypted: updates.length, unreadable };
}
