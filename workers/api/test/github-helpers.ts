import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { api, newUser, type TestUser } from "./helpers.ts";

export interface GitHubRecord {
  method: string;
  path: string;
  authorization: string;
  body: unknown;
}

let counter = Math.floor(Math.random() * 1e6) * 100;

/** A fresh numeric id, for GitHub users and repositories. */
export function nextGitHubId(): number {
  counter += 1;
  return counter;
}

/** Registers a repository with the GitHub stand-in. */
export async function registerRepo(fullName: string, extra: Record<string, unknown> = {}) {
  const id = nextGitHubId();
  const res = await fetch(`${env.GITHUB_API_URL}/__repos`, {
    method: "POST",
    body: JSON.stringify({ id, full_name: fullName, default_branch: "main", ...extra }),
  });
  expect(res.status).toBe(201);
  return { id, fullName };
}

/** Everything Miaobu sent to the GitHub stand-in. */
export async function githubRecords(): Promise<GitHubRecord[]> {
  return (await fetch(`${env.GITHUB_API_URL}/__requests`)).json<GitHubRecord[]>();
}

/** A GET through the Worker that does not follow redirects (they lead to GitHub or the console). */
export function getManual(path: string, headers: Record<string, string> = {}) {
  return exports.default.fetch(`http://localhost${path}`, { headers, redirect: "manual" });
}

/** The `state` cookie and the redirect of `GET /api/v1/auth/github/start`. */
export async function startOAuth(query = "", headers: Record<string, string> = {}) {
  const res = await getManual(`/api/v1/auth/github/start${query}`, headers);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("Location") ?? "");
  const cookie = /^(miaobu_github_oauth=[^;]+)/.exec(res.headers.get("Set-Cookie") ?? "")?.[1] ?? "";
  return { location, cookie, state: location.searchParams.get("state") ?? "" };
}

/** Completes the OAuth dance as GitHub would redirect back, with a code the stand-in accepts. */
export async function finishOAuth(cookie: string, state: string, githubId: number, login: string) {
  return getManual(
    `/api/v1/auth/github/callback?code=${githubId}_${login}&state=${encodeURIComponent(state)}`,
    cookie ? { Cookie: cookie } : {},
  );
}

/** A local user with GitHub linked; returns the GitHub id and login too. */
export async function githubLinkedUser(): Promise<TestUser & { githubId: number; login: string }> {
  const user = await newUser();
  const githubId = nextGitHubId();
  const login = `octo${githubId}`;
  const { cookie, state } = await startOAuth("?link=1", { Authorization: `Bearer ${user.token}` });
  const res = await finishOAuth(cookie, state, githubId, login);
  expect(res.status).toBe(302);
  expect(res.headers.get("Location")).toBe("/?github=linked");
  return { ...user, githubId, login };
}

/** A recorded example payload of an event, deep-copied, picked by `pick`. */
export function example(
  event: string,
  pick: (p: Record<string, unknown>) => boolean,
): Record<string, unknown> {
  const found = env.GITHUB_EXAMPLES[event]?.find(pick);
  if (!found) throw new Error(`no ${event} example`);
  return structuredClone(found);
}

/** Points a payload at one of our repositories (and, for pull requests, its head at the same one). */
export function forRepo(payload: Record<string, unknown>, repo: { id: number; fullName: string }) {
  const repository = payload.repository as Record<string, unknown>;
  repository.id = repo.id;
  repository.full_name = repo.fullName;
  const pr = payload.pull_request as { head: { repo: Record<string, unknown> | null } } | undefined;
  if (pr?.head.repo) {
    pr.head.repo.id = repo.id;
    pr.head.repo.full_name = repo.fullName;
  }
  return payload;
}

async function sign(body: string, secret = env.GITHUB_WEBHOOK_SECRET): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Delivers a webhook signed exactly as GitHub signs it (unless `signature` overrides it). */
export async function deliver(
  event: string,
  payload: unknown,
  options: { delivery?: string; signature?: string | null; secret?: string } = {},
) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": "GitHub-Hookshot/abc123",
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": options.delivery ?? crypto.randomUUID(),
  };
  const signature = options.signature === undefined ? await sign(body, options.secret) : options.signature;
  if (signature !== null) headers["X-Hub-Signature-256"] = signature;
  return api("/api/v1/hooks/github", { method: "POST", body, headers });
}

export { newUser };
