import type { PackageJson, ProjectFiles } from "./types.ts";

/** The Node version a project asks for, and where it says so. */
export interface NodeVersionGuess {
  version: string;
  reason: string;
}

/** `.nvmrc`, `.node-version`, `.tool-versions` (asdf), then `engines.node`; the first one found wins. */
export async function detectNodeVersion(
  pkg: PackageJson | null,
  folders: readonly ProjectFiles[],
): Promise<NodeVersionGuess | null> {
  for (const files of folders) {
    for (const name of [".nvmrc", ".node-version"]) {
      const value = firstLine(await files.read(name));
      if (value) return { version: value, reason: `${name} says ${value}` };
    }
    const asdf = (await files.read(".tool-versions")) ?? "";
    const tool = /^nodejs\s+(\S+)/m.exec(asdf)?.[1];
    if (tool) return { version: tool, reason: `.tool-versions says nodejs ${tool}` };
  }
  const engines = pkg?.engines?.node?.trim();
  if (engines) return { version: engines, reason: `package.json's engines.node is ${engines}` };
  return null;
}

function firstLine(text: string | null): string | null {
  const line = text
    ?.split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .find((l) => l.length > 0);
  return line ? line.replace(/^v(?=\d)/, "") : null;
}
