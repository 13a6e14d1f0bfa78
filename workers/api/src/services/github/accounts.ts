import { users } from "@miaobu/db";
import { newId } from "@miaobu/shared";
import { eq } from "drizzle-orm";
import type { AuthUser, Deps, GitHubConfig } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { decryptSecret, encryptSecret } from "../../lib/secrets.ts";
import { GitHubClient, type GitHubUser } from "./client.ts";

type KeyDeps = Pick<Deps, "db" | "config">;

const tokenContext = (userId: string) => `github-token:${userId}`;

/** GitHub's configuration, or 404 saying GitHub is off on this platform. */
export function requireGitHub({ config }: Pick<Deps, "config">): GitHubConfig {
  if (!config.github) {
    throw new ApiError(
      "not_found",
      "GitHub is not configured on this Miaobu (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_WEBHOOK_SECRET).",
    );
  }
  return config.github;
}

/** A client with the user's stored GitHub token; 409 when the user has not linked GitHub. */
export async function clientOf(deps: KeyDeps, userId: string): Promise<GitHubClient> {
  const github = requireGitHub(deps);
  const token = await githubTokenOf(deps, userId);
  if (!token) {
    throw new ApiError("conflict", "Link your GitHub account first (sign in with GitHub from the console).");
  }
  return new GitHubClient(github, token);
}

/** The user's decrypted GitHub token, or null. */
export async function githubTokenOf({ db, config }: KeyDeps, userId: string): Promise<string | null> {
  const row = await db
    .select({ sealed: users.githubTokenEncrypted })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  if (!row?.sealed) return null;
  return decryptSecret(config.keys.encryptionKey, row.sealed, tokenContext(userId));
}

async function sealToken({ config }: Pick<Deps, "config">, userId: string, token: string) {
  return encryptSecret(config.keys.encryptionKey, token, tokenContext(userId));
}

/** Links a GitHub account to a local user; 409 when that GitHub account belongs to another user. */
export async function linkGitHub(
  deps: KeyDeps,
  userId: string,
  account: GitHubUser,
  token: string,
): Promise<void> {
  const owner = await deps.db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.githubId, account.id))
    .get();
  if (owner && owner.id !== userId) {
    throw new ApiError("conflict", "That GitHub account is already linked to another Miaobu account.");
  }
  await deps.db
    .update(users)
    .set({
      githubId: account.id,
      githubLogin: account.login,
      githubTokenEncrypted: await sealToken(deps, userId, token),
    })
    .where(eq(users.id, userId));
}

/**
 * The user a GitHub sign-in belongs to: matched by GitHub's numeric id (logins can be renamed), else a
 * new user. An email that a local account already has is not taken over: that account must sign in with
 * its password and link GitHub, so nobody gains an account by controlling a GitHub email.
 */
export async function signInWithGitHub(
  deps: KeyDeps & Pick<Deps, "now">,
  client: GitHubClient,
  account: GitHubUser,
  token: string,
): Promise<AuthUser> {
  const existing = await deps.db.select().from(users).where(eq(users.githubId, account.id)).get();
  if (existing) {
    await deps.db
      .update(users)
      .set({ githubLogin: account.login, githubTokenEncrypted: await sealToken(deps, existing.id, token) })
      .where(eq(users.id, existing.id));
    return { id: existing.id, email: existing.email, name: existing.name };
  }
  const emails = await client.emails().catch(() => []);
  const verified = emails.find((e) => e.primary && e.verified)?.email;
  const email = (verified ?? `${account.id}+${account.login}@users.noreply.github.com`).toLowerCase();
  const taken = await deps.db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
  if (taken) {
    throw new ApiError(
      "conflict",
      "An account with this email exists: sign in with its password, then link GitHub.",
    );
  }
  const at = deps.now();
  const id = newId("user", at);
  const name = (account.name ?? account.login).slice(0, 200);
  await deps.db.insert(users).values({
    id,
    email,
    name,
    passwordHash: null,
    githubId: account.id,
    githubLogin: account.login,
    githubTokenEncrypted: await sealToken(deps, id, token),
    createdAt: at,
  });
  return { id, email, name };
}
