import { env } from "cloudflare:workers";
import { parseRulesFiles } from "@miaobu/rules";
import {
  contentTypeFor,
  hashPassword,
  type Manifest,
  type ManifestVariants,
  newId,
  randomBase32,
  storageKeys,
} from "@miaobu/shared";
import type { HtmlHandling, NotFoundHandling } from "../src/resolve-asset.ts";

export type RouteKind = "production" | "branch" | "deployment" | "custom";
export type SiteFiles = Record<string, string | Uint8Array>;

const encoder = new TextEncoder();

/** Hex SHA-256, as the API addresses blobs. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The serving settings of a project (columns of `projects`). */
export interface ProjectSettings {
  htmlHandling?: HtmlHandling;
  notFoundHandling?: NotFoundHandling;
  previewPassword?: string;
  skewProtectionDays?: number;
}

/** A project row (with its owner), as the API would have written it. Returns the project id. */
export async function createProject(slug: string, settings: ProjectSettings = {}): Promise<string> {
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
      `INSERT INTO projects (id, owner_id, slug, html_handling, not_found_handling, preview_password_hash,
        skew_protection_days, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).bind(
      projectId,
      userId,
      slug,
      settings.htmlHandling ?? "auto-trailing-slash",
      settings.notFoundHandling ?? "auto",
      settings.previewPassword === undefined ? null : await hashPassword(settings.previewPassword),
      settings.skewProtectionDays ?? 7,
      now,
      now,
    ),
  ]);
  return projectId;
}

const bytesOf = (content: string | Uint8Array) =>
  typeof content === "string" ? encoder.encode(content) : content;

async function storeBlob(projectId: string, content: string | Uint8Array) {
  const bytes = bytesOf(content);
  const hash = await sha256Hex(bytes);
  await env.STORAGE.put(storageKeys.blob(projectId, hash), bytes);
  return { hash, size: bytes.byteLength };
}

export interface DeploymentOptions {
  /** Pre-compressed variants by path (any bytes: the router never decompresses them). */
  variants?: Record<string, { br?: string | Uint8Array; gzip?: string | Uint8Array }>;
  /** Store only the raw `_redirects`/`_headers` copies, as finalize did before rules.json existed. */
  legacyRules?: boolean;
}

/**
 * Stores a finished deployment as finalize does: its blobs, its manifest, and `rules.json` parsed from
 * its `/_redirects` and `/_headers`. Returns the deployment id and manifest.
 */
export async function storeDeployment(
  projectId: string,
  files: SiteFiles,
  options: DeploymentOptions = {},
): Promise<{ deploymentId: string; manifest: Manifest }> {
  const deploymentId = newId("deployment");
  const manifest: Manifest = { version: 1, deploymentId, files: {} };
  for (const [path, content] of Object.entries(files)) {
    const blob = await storeBlob(projectId, content);
    const wanted = options.variants?.[path];
    const variants: ManifestVariants = {};
    if (wanted?.br !== undefined) variants.br = await storeBlob(projectId, wanted.br);
    if (wanted?.gzip !== undefined) variants.gzip = await storeBlob(projectId, wanted.gzip);
    manifest.files[path] = { ...blob, contentType: contentTypeFor(path), ...(wanted ? { variants } : {}) };
  }
  await env.STORAGE.put(storageKeys.manifest(projectId, deploymentId), JSON.stringify(manifest));
  const text = (path: string) => {
    const content = files[path];
    return content === undefined ? undefined : new TextDecoder().decode(bytesOf(content));
  };
  if (options.legacyRules) {
    for (const name of ["_redirects", "_headers"] as const) {
      const content = text(`/${name}`);
      if (content !== undefined) {
        await env.STORAGE.put(storageKeys.rulesFile(projectId, deploymentId, name), content);
      }
    }
  } else {
    const { rules } = parseRulesFiles({ redirects: text("/_redirects"), headers: text("/_headers") });
    await env.STORAGE.put(storageKeys.rules(projectId, deploymentId), JSON.stringify(rules));
  }
  return { deploymentId, manifest };
}

/** Points a hostname at a deployment, replacing whatever it pointed at. */
export async function setRoute(
  hostname: string,
  projectId: string,
  deploymentId: string,
  kind: RouteKind,
  previous: { deploymentId: string; until: number } | null = null,
): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO routes (hostname, project_id, deployment_id, kind, previous_deployment_id, previous_until,
       updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (hostname) DO UPDATE SET deployment_id = excluded.deployment_id, kind = excluded.kind,
       previous_deployment_id = excluded.previous_deployment_id, previous_until = excluded.previous_until,
       updated_at = excluded.updated_at`,
  )
    .bind(
      hostname,
      projectId,
      deploymentId,
      kind,
      previous?.deploymentId ?? null,
      previous?.until ?? null,
      Date.now(),
    )
    .run();
}

/** A project slug no other test uses, so isolate caches never leak between tests. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBase32(8)}`;
}

/** Creates a project with one deployment routed at `{slug}.localhost` as production. */
export async function productionSite(
  prefix: string,
  files: SiteFiles,
  settings: ProjectSettings = {},
  options: DeploymentOptions = {},
) {
  const slug = uniqueSlug(prefix);
  const projectId = await createProject(slug, settings);
  const { deploymentId, manifest } = await storeDeployment(projectId, files, options);
  const host = `${slug}.localhost`;
  await setRoute(host, projectId, deploymentId, "production");
  return { slug, projectId, deploymentId, manifest, host };
}
