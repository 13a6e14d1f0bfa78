import {
  type CompiledRules,
  compileRules,
  EMPTY_RULES,
  parseRulesFiles,
  parseRulesJson,
} from "@miaobu/rules";
import { type Manifest, storageKeys } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage";
import { type ManifestCache, parseManifest } from "./manifest.ts";

/** One deployment ready to serve: its manifest and its rules, compiled once per isolate. */
export interface Site {
  manifest: Manifest;
  rules: CompiledRules;
}

async function textOf(storage: Storage, key: string): Promise<{ text: string; bytes: number } | null> {
  const object = await storage.get(key);
  return object ? { text: await object.text(), bytes: object.size } : null;
}

/**
 * The rules of a deployment: `rules.json` as finalize stored it; for a deployment finalized before
 * rules.json existed, its raw `_redirects` and `_headers` parsed here.
 */
async function loadRules(storage: Storage, projectId: string, deploymentId: string) {
  const stored = await textOf(storage, storageKeys.rules(projectId, deploymentId));
  if (stored) return { rules: parseRulesJson(stored.text), bytes: stored.bytes };
  const [redirects, headers] = await Promise.all([
    textOf(storage, storageKeys.rulesFile(projectId, deploymentId, "_redirects")),
    textOf(storage, storageKeys.rulesFile(projectId, deploymentId, "_headers")),
  ]);
  if (!redirects && !headers) return { rules: EMPTY_RULES, bytes: 0 };
  const { rules } = parseRulesFiles({ redirects: redirects?.text, headers: headers?.text });
  return { rules, bytes: (redirects?.bytes ?? 0) + (headers?.bytes ?? 0) };
}

/**
 * Loads a deployment: from the isolate cache, else manifest and rules from storage in parallel. Null
 * when the manifest is not stored (not cached: the route may have been written just before it landed).
 */
export async function loadSite(
  storage: Storage,
  cache: ManifestCache<Site>,
  projectId: string,
  deploymentId: string,
): Promise<Site | null> {
  const key = storageKeys.manifest(projectId, deploymentId);
  const cached = cache.get(key);
  if (cached) return cached;
  return cache.loadOnce(key, async () => {
    const [manifestText, rules] = await Promise.all([
      textOf(storage, key),
      loadRules(storage, projectId, deploymentId),
    ]);
    if (!manifestText) return null;
    const site: Site = { manifest: parseManifest(manifestText.text), rules: compileRules(rules.rules) };
    cache.set(key, site, manifestText.bytes + rules.bytes);
    return site;
  });
}
