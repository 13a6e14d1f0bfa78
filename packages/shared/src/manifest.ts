/** One file of a deployment as the client describes it when creating the deployment. */
export interface ManifestInputFile {
  path: string;
  hash: string;
  size: number;
}

/** One file of a stored manifest. */
export interface ManifestEntry {
  hash: string;
  size: number;
  contentType: string;
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
  rulesFile: (projectId: string, deploymentId: string, name: "_headers" | "_redirects") =>
    `projects/${projectId}/deployments/${deploymentId}/${name}`,
  project: (projectId: string) => `projects/${projectId}/`,
};
