import { storageKeys } from "@miaobu/shared";
import { MAX_DELETE_KEYS, type Storage, type StoredObject } from "@miaobu/storage";

/** `projects/{projectId}/cache/`: every build cache archive of the project, whatever branch it is for. */
export function cachePrefix(projectId: string): string {
  return storageKeys.cache(projectId, "");
}

/** Every object under the project's cache prefix, all pages. */
export async function listCacheObjects(storage: Storage, projectId: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list({ prefix: cachePrefix(projectId), ...(cursor ? { cursor } : {}) });
    objects.push(...page.objects);
    cursor = page.cursor;
  } while (cursor);
  return objects;
}

/** Deletes `objects` in batches the store accepts; returns how many and how many bytes. */
export async function deleteObjects(
  storage: Storage,
  objects: readonly StoredObject[],
): Promise<{ deleted: number; bytes: number }> {
  for (let i = 0; i < objects.length; i += MAX_DELETE_KEYS) {
    await storage.delete(objects.slice(i, i + MAX_DELETE_KEYS).map((o) => o.key));
  }
  return { deleted: objects.length, bytes: objects.reduce((sum, o) => sum + o.size, 0) };
}
