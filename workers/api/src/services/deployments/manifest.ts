import { type Manifest, manifestBlobSizes, storageKeys } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage";
import type { Deps } from "../../env.ts";

/** Writes the manifest of a deployment; it never changes afterwards. */
export async function writeManifest(storage: Storage, projectId: string, manifest: Manifest): Promise<void> {
  await storage.put(storageKeys.manifest(projectId, manifest.deploymentId), JSON.stringify(manifest), {
    contentType: "application/json; charset=utf-8",
  });
}

/** The stored manifest of a deployment; throws when it is gone, which only a bug or an operator causes. */
export async function readManifest(
  { storage }: Pick<Deps, "storage">,
  projectId: string,
  deploymentId: string,
): Promise<Manifest> {
  const object = await storage.get(storageKeys.manifest(projectId, deploymentId));
  if (!object) throw new Error(`manifest of ${deploymentId} is missing from storage`);
  return JSON.parse(await object.text()) as Manifest;
}

// A manifest never changes but for a build's second list adding compressed variants, so the hash → size
// maps that uploads check against can live as long as the isolate; `fresh` reads one again (a hash missing
// from the cached map may have been added since).
const HASH_SET_CACHE_SIZE = 64;
const hashSets = new Map<string, Map<string, number>>();

/** Hash → declared size of every file a deployment's manifest names, cached per isolate. */
export async function manifestHashes(
  deps: Pick<Deps, "storage">,
  projectId: string,
  deploymentId: string,
  fresh = false,
): Promise<Map<string, number>> {
  const cached = fresh ? undefined : hashSets.get(deploymentId);
  if (cached) return cached;
  hashSets.delete(deploymentId);
  const manifest = await readManifest(deps, projectId, deploymentId);
  const set = manifestBlobSizes(Object.values(manifest.files));
  if (hashSets.size >= HASH_SET_CACHE_SIZE) {
    const oldest = hashSets.keys().next().value;
    if (oldest !== undefined) hashSets.delete(oldest);
  }
  hashSets.set(deploymentId, set);
  return set;
}
