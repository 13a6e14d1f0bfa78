// Accounts: users, the console's sessions, API tokens.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  passwordHash: text("password_hash"),
  isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
  /** The linked GitHub account (numeric id, stable across renames) and its OAuth token, AES-GCM encrypted. */
  githubId: integer("github_id").unique(),
  githubLogin: text("github_login"),
  githubTokenEncrypted: text("github_token_encrypted"),
  createdAt: integer("created_at").notNull(),
});

/** Console sessions: the cookie's JWT names one of these rows, so logging out revokes it server-side. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    /** JSON array of `TOKEN_SCOPES`; tokens issued by `auth/login` have all of them. */
    scopes: text("scopes").notNull().default('["read","deploy","admin"]'),
    expiresAt: integer("expires_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);
