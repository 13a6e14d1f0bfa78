import { env } from "cloudflare:workers";
import { projects } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import { storageOf } from "@miaobu/storage";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { expect } from "vitest";
import { configOf, type Deps } from "../src/env.ts";
import type { ProjectRow } from "../src/services/projects/present.ts";
import { api, sha256 } from "./helpers.ts";

export interface Blob {
  hash: string;
  size: number;
  bytes: Uint8Array;
}

/** A file of a deployment, with a brotli variant (any bytes: nothing decompresses it here). */
export interface SiteFile {
  path: string;
  blob: Blob;
  br?: Blob;
}

const encoder = new TextEncoder();

export async function blobOf(text: string): Promise<Blob> {
  const bytes = encoder.encode(text);
  return { hash: await sha256(bytes), size: bytes.byteLength, bytes };
}

/** File `i` of a small pool shared by a project's deployments, so they share blobs as real sites do. */
export async function poolFile(seed: string, i: number, variant = false): Promise<SiteFile> {
  const blob = await blobOf(`${seed} file ${i} ${"·".repeat(i * 7)}`);
  return variant
    ? { path: `f${i}.js`, blob, br: await blobOf(`${seed} br of file ${i}`) }
    : { path: `f${i}.js`, blob };
}

/** Every blob hash a deployment of `files` needs: files and variants. */
export const hashesOf = (files: SiteFile[]) =>
  files.flatMap((f) => (f.br ? [f.blob.hash, f.br.hash] : [f.blob.hash]));

/** Every blob of `files` by hash, to answer `missing` lists. */
export const blobsOf = (files: SiteFile[]) =>
  new Map(files.flatMap((f) => (f.br ? [f.blob, f.br] : [f.blob])).map((b) => [b.hash, b]));

export interface CreatedDeployment {
  id: string;
  shortId: string;
  missing: string[];
}

export async function createDeployment(
  token: string,
  project: string,
  files: SiteFile[],
  branch = "main",
): Promise<CreatedDeployment> {
  const res = await api(`/api/v1/projects/${project}/deployments`, {
    token,
    json: {
      branch,
      files: files.map((f) => ({
        path: f.path,
        hash: f.blob.hash,
        size: f.blob.size,
        ...(f.br ? { variants: { br: { hash: f.br.hash, size: f.br.size } } } : {}),
      })),
    },
  });
  expect(res.status).toBe(201);
  const body = await res.json<{ deployment: { id: string; shortId: string }; missing: string[] }>();
  return { id: body.deployment.id, shortId: body.deployment.shortId, missing: body.missing };
}

export async function upload(
  token: string,
  deploymentId: string,
  hashes: Iterable<string>,
  blobs: Map<string, Blob>,
): Promise<void> {
  for (const hash of hashes) {
    const blob = blobs.get(hash);
    if (!blob) throw new Error(`no bytes for ${hash}`);
    const res = await api(`/api/v1/deployments/${deploymentId}/blobs/${hash}`, {
      method: "PUT",
      token,
      body: blob.bytes,
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }
}

export function finalize(token: string, deploymentId: string): Promise<Response> {
  return api(`/api/v1/deployments/${deploymentId}/finalize`, { method: "POST", token });
}

/** Finalizes, uploading what finalize reports missing, until the deployment is ready. */
export async function finalizeUntilReady(
  token: string,
  deploymentId: string,
  blobs: Map<string, Blob>,
): Promise<void> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const res = await finalize(token, deploymentId);
    if (res.status === 200) return;
    const problem = await res.json<{ code: string; missing?: { hash: string }[] }>();
    expect(problem.code, JSON.stringify(problem)).toBe("missing_blobs");
    await upload(token, deploymentId, problem.missing?.map((m) => m.hash) ?? [], blobs);
  }
  throw new Error(`deployment ${deploymentId} never became ready`);
}

/** Creates, uploads what is missing and finalizes. */
export async function deployFiles(
  token: string,
  project: string,
  files: SiteFile[],
  branch = "main",
): Promise<CreatedDeployment> {
  const created = await createDeployment(token, project, files, branch);
  const blobs = blobsOf(files);
  await upload(token, created.id, created.missing, blobs);
  await finalizeUntilReady(token, created.id, blobs);
  return created;
}

/** Sets a project's retention settings through the API. */
export async function setRetention(
  token: string,
  project: string,
  settings: { retainProduction?: number; retainPreview?: number; retainDays?: number },
): Promise<void> {
  const res = await api(`/api/v1/projects/${project}`, { method: "PATCH", token, json: settings });
  expect(res.status).toBe(200);
}

/**
 * Makes every blob row of the project two hours old, as if uploaded long ago: a sweep keeps rows recorded
 * or touched within a minute of its start (clock margin), so tests age them instead of waiting.
 */
export async function ageBlobs(projectId: string, ms = 2 * 60 * 60 * 1000): Promise<void> {
  await env.DB.prepare(
    "update blobs set created_at = created_at - ?1, referenced_at = max(0, referenced_at - ?1) where project_id = ?2",
  )
    .bind(ms, projectId)
    .run();
}

/** Keys under a prefix, every page. */
export async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.STORAGE.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** Hashes of the blob objects a project has in storage. */
export async function storedBlobs(projectId: string): Promise<Set<string>> {
  const prefix = storageKeys.blobs(projectId);
  return new Set((await keysUnder(prefix)).map((k) => k.slice(prefix.length)));
}

/** Hashes of the project's blob rows in D1. */
export async function recordedBlobs(projectId: string): Promise<Set<string>> {
  const { results } = await env.DB.prepare("select hash from blobs where project_id = ?")
    .bind(projectId)
    .all<{ hash: string }>();
  return new Set(results.map((r) => r.hash));
}

export async function statusOf(deploymentId: string): Promise<string | undefined> {
  const row = await env.DB.prepare("select status from deployments where id = ?")
    .bind(deploymentId)
    .first<{ status: string }>();
  return row?.status;
}

/** The service dependencies the Worker builds per request, for calling services directly. */
export function deps(now: () => number = Date.now): Deps {
  return { db: drizzle(env.DB), storage: storageOf(env), now, config: configOf(env) };
}

export async function projectRow(projectId: string): Promise<ProjectRow> {
  const row = await drizzle(env.DB).select().from(projects).where(eq(projects.id, projectId)).get();
  if (!row) throw new Error(`no project ${projectId}`);
  return row;
}
