/** Read access to a project folder: all detection needs, so it runs on a checkout, a tarball or a test. */
export interface ProjectFiles {
  /** The text of a file (a `/`-separated path relative to the folder), or null when there is none. */
  read(path: string): Promise<string | null>;
  /** Whether a file or folder exists. */
  exists(path: string): Promise<boolean>;
}

export type PackageManagerName = "npm" | "pnpm" | "yarn" | "bun";

/** What detection found for a project folder, with the reasons, in the order they were decided. */
export interface Detection {
  framework: { id: string; name: string } | null;
  /** null when the folder has no package.json: nothing to install. */
  installCommand: string | null;
  /** null when there is nothing to build (plain HTML). */
  buildCommand: string | null;
  /** The folder to deploy, relative to the project folder (`.` for the folder itself). */
  outputDir: string;
  /** The Node version the project asks for (`22`, `20.11`, `>=18`, `lts/iron`), or null for the default. */
  nodeVersion: string | null;
  packageManager: PackageManagerName;
  /** A version or range of the package manager to use (`9`, `9.1.0`, `1`), or null for the default. */
  packageManagerVersion: string | null;
  /** The framework's own cache folders, relative to the project, kept from one build to the next. */
  cacheDirs: string[];
  reasons: string[];
}

/** Settings the user set; each one that is not null replaces what detection would choose. */
export interface DetectOverrides {
  framework?: string | null;
  installCommand?: string | null;
  buildCommand?: string | null;
  outputDir?: string | null;
  nodeVersion?: string | null;
}

/** The parts of package.json detection reads. */
export interface PackageJson {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: { node?: string };
  packageManager?: string;
}

/** What a framework rule can look at. */
export interface DetectContext {
  files: ProjectFiles;
  pkg: PackageJson | null;
  /** dependencies and devDependencies together, name → range. */
  deps: Record<string, string>;
}
