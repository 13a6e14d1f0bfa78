import { env } from "cloudflare:workers";
import { contentTypeFor, type Manifest, newId, randomBase32, storageKeys } from "@miaobu/shared";

export type RouteKind = "production" | "branch" | "deployment" | "custom";
export type SiteFiles = Record<string, string | Uint8Array>;

const encoder = new TextEncoder();

/** Hex SHA-256, as the API addresses blobs. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A project row (with its owner), as the API would have written it. Returns the project id. */
export async function createProject(slug: string): Promise<string> {
  const userId = newId("user");
  const projectId = newId("project");
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)").bind(
      userId,
      `${userId}@example.test`,
      "Owner",
      now,
    ),
    env.DB.prepare(
      "INSERT INTO projects (id, owner_id, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    ).bind(projectId, userId, slug, now, now),
  ]);
  return projectId;
}

/** Stores a finished deployment: its blobs and its manifest. Returns the deployment id and manifest. */
export async function storeDeployment(
  projectId: string,
  files: SiteFiles,
): Promise<{ deploymentId: string; manifest: Manifest }> {
  const deploymentId = newId("deployment");
  const manifest: Manifest = { version: 1, deploymentId, files: {} };
  for (const [path, content] of Object.entries(files)) {
    const bytes = typeof content === "string" ? encoder.encode(content) : content;
    const hash = await sha256Hex(bytes);
    await env.STORAGE.put(storageKeys.blob(projectId, hash), bytes);
    manifest.files[path] = { hash, size: bytes.byteLength, contentType: contentTypeFor(path) };
  }
  await env.STORAGE.put(storageKeys.manifest(projectId, deploymentId), JSON.stringify(manifest));
  return { deploymentId, manifest };
}

/** Points a hostname at a deployment, replacing whatever it pointed at. */
export async function setRoute(
  hostname: string,
  projectId: string,
  deploymentId: string,
  kind: RouteKind,
): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO routes (hostname, project_id, deployment_id, kind, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (hostname) DO UPDATE SET deployment_id = excluded.deployment_id, kind = excluded.kind,
       updated_at = excluded.updated_at`,
  )
    .bind(hostname, projectId, deploymentId, kind, Date.now())
    .run();
}

/** A project slug no other test uses, so isolate caches never leak between tests. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBase32(8)}`;
}

/** Creates a project with one deployment routed at `{slug}.localhost` as production. */
export async function productionSite(prefix: string, files: SiteFiles) {
  const slug = uniqueSlug(prefix);
  const projectId = await createProject(slug);
  const { deploymentId, manifest } = await storeDeployment(projectId, files);
  const host = `${slug}.localhost`;
  await setRoute(host, projectId, deploymentId, "production");
  return { slug, projectId, deploymentId, manifest, host };
}
