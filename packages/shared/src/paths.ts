export const MAX_PATH_LENGTH = 1024;

/**
 * Normalizes a deployment file path to `/a/b.txt`, or returns the reason it is unsafe
 * (`..`, `.` segments, absolute or drive paths, backslashes, NUL and control characters, empty segments).
 */
export function checkDeploymentPath(raw: string): { path: string } | { problem: string } {
  if (raw.length === 0) return { problem: "the path is empty" };
  if (raw.length > MAX_PATH_LENGTH)
    return { problem: `the path is longer than ${MAX_PATH_LENGTH} characters` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { problem: "the path contains a NUL or control character" };
  if (raw.includes("\\")) return { problem: "the path contains a backslash" };
  if (raw.startsWith("/")) return { problem: "the path is absolute; give it relative to the folder" };
  if (/^[a-zA-Z]:/.test(raw)) return { problem: "the path starts with a drive letter" };
  const segments = raw.split("/");
  for (const segment of segments) {
    if (segment === "..") return { problem: "the path contains '..'" };
    if (segment === ".") return { problem: "the path contains '.'" };
    if (segment === "") return { problem: "the path contains an empty segment" };
  }
  return { path: `/${raw}` };
}
