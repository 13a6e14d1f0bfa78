import type { ProjectFiles } from "./types.ts";

/** A project held in memory (path → text), for tests and for callers that already have the files. */
export function memoryFiles(files: Record<string, string>): ProjectFiles {
  const paths = Object.keys(files);
  return {
    read: async (path) => files[path] ?? null,
    exists: async (path) =>
      Object.hasOwn(files, path) || paths.some((candidate) => candidate.startsWith(`${path}/`)),
  };
}
