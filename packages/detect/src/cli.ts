// Detection as a program, for the builder's sandbox: it reads a checkout that may hold anything, so the
// builder runs this as the build user inside the jail rather than reading the files itself.
//   node cli.ts <project folder> <repository folder | -> <overrides as JSON>
// Prints the Detection as JSON on stdout, with `installInputs` (what an install reads, hashed).
import { detectProject } from "./index.ts";
import { installInputs } from "./install-inputs.ts";
import { folderFiles } from "./node.ts";
import type { DetectOverrides } from "./types.ts";

const [project, repo, overrides] = process.argv.slice(2);
if (!project) {
  process.stderr.write("usage: cli.ts <project folder> <repository folder | -> <overrides JSON>\n");
  process.exit(2);
}
const detection = await detectProject(folderFiles(project), {
  overrides: JSON.parse(overrides ?? "{}") as DetectOverrides,
  ...(repo && repo !== "-" ? { repoFiles: folderFiles(repo) } : {}),
});
// In a monorepo the install also reads the repository's root: never skipped there.
const inputs =
  repo && repo !== "-"
    ? { hash: null, reason: "the project is a folder of its repository" }
    : await installInputs(folderFiles(project), detection.packageManager);
process.stdout.write(`${JSON.stringify({ ...detection, installInputs: inputs })}\n`);
