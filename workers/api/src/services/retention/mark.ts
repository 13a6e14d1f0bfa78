import type { DeploymentStatus } from "@miaobu/db";
import { type Manifest, manifestBlobSizes, storageKeys } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage";

// Manifests are up to 8 MiB of JSON; a few at a time keeps a sweep well inside a Worker's memory.
const PARALLEL_READS = 4;

/** Every blob hash the given deployments' manifests name, or why that could not be known for sure. */
export type Marks = { hashes: Set<string> } | { incomplete: string };

/**
 * The mark of mark-and-sweep: the hashes (files and their br/gzip variants) of every manifest of
 * `deployments`. A deployment without a manifest yet (a build not at its upload step) names nothing; a
 * ready one without a readable manifest makes the answer incomplete, and an incomplete mark deletes nothing.
 */
export async function markReferenced(
  storage: Storage,
  projectId: string,
  deployments: readonly { id: string; status: DeploymentStatus }[],
): Promise<Marks> {
  const hashes = new Set<string>();
  const problems: string[] = [];
  const queue = [...deployments];
  const worker = async () => {
    for (let d = queue.shift(); d && problems.length === 0; d = queue.shift()) {
      const problem = await markOne(storage, projectId, d, hashes);
      if (problem) problems.push(problem);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, worker));
  const [problem] = problems;
  return problem === undefined ? { hashes } : { incomplete: problem };
}

async function markOne(
  storage: Storage,
  projectId: string,
  deployment: { id: string; status: DeploymentStatus },
  into: Set<string>,
): Promise<string | null> {
  const object = await storage.get(storageKeys.manifest(projectId, deployment.id));
  if (!object) {
    return deployment.status === "ready"
      ? `the manifest of ready deployment ${deployment.id} is missing`
      : null;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await object.text()) as Manifest;
  } catch {
    return `the manifest of deployment ${deployment.id} is not valid JSON`;
  }
  if (typeof manifest?.files !== "object" || manifest.files === null) {
    return `the manifest of deployment ${deployment.id} has no files`;
  }
  for (const hash of manifestBlobSizes(Object.values(manifest.files)).keys()) into.add(hash);
  return null;
}
