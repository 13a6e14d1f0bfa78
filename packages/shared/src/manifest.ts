/** A pre-compressed copy of a file: itself a content-addressed blob, named by the hash of its bytes. */
export interface ManifestVariant {
  hash: string;
  size: number;
}

/** Pre-compressed variants of a text file, by `Content-Encoding`. */
export interface ManifestVariants {
  br?: ManifestVariant;
  gzip?: ManifestVariant;
}

/** One file of a deployment as the client describes it when creating the deployment. */
export interface ManifestInputFile {
  path: string;
  hash: string;
  size: number;
  variants?: ManifestVariants;
}

/** One file of a stored manifest. */
export interface ManifestEntry {
  hash: string;
  size: number;
  contentType: string;
  variants?: ManifestVariants;
}

/** Every blob a set of manifest entries needs (files and their variants), hash → size. */
export function manifestBlobSizes(
  entries: Iterable<{ hash: string; size: number; variants?: ManifestVariants }>,
) {
  const sizes = new Map<string, number>();
  for (const entry of entries) {
    sizes.set(entry.hash, entry.size);
    if (entry.variants?.br) sizes.set(entry.variants.br.hash, entry.variants.br.size);
    if (entry.variants?.gzip) sizes.set(entry.variants.gzip.hash, entry.variants.gzip.size);
  }
  return sizes;
}

/** The stored `manifest.json` of a deployment: path (leading `/`) → entry. */
export interface Manifest {
  version: 1;
  deploymentId: string;
  files: Record<string, ManifestEntry>;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** Object keys of the storage layout. */
export const storageKeys = {
  blob: (projectId: string, hash: string) => `projects/${projectId}/blobs/${hash}`,
  blobs: (projectId: string) => `projects/${projectId}/blobs/`,
  deployment: (projectId: string, deploymentId: string) =>
    `projects/${projectId}/deployments/${deploymentId}/`,
  manifest: (projectId: string, deploymentId: string) =>
    `projects/${projectId}/deployments/${deploymentId}/manifest.json`,
  /** Parsed `_redirects` and `_headers` (`@miaobu/rules`' RulesFile) that the router reads. */
  rules: (projectId: string, deploymentId: string) =>
    `projects/${projectId}/deployments/${deploymentId}/rules.json`,
  rulesFile: (projectId: string, deploymentId: string, name: "_headers" | "_redirects") =>
    `projects/${projectId}/deployments/${deploymentId}/${name}`,
  project: (projectId: string) => `projects/${projectId}/`,
  buildLog: (projectId: string, deploymentId: string) =>
    `projects/${projectId}/deployments/${deploymentId}/build.log`,
  /** A build cache archive of the builder (`{sha256 hex}.tar.zst`); `""` gives the prefix of them all. */
  cache: (projectId: string, key: string) => `projects/${projectId}/cache/${key}`,
};
