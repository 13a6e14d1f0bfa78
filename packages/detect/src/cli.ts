// Detection as a program, for the builder's sandbox: it reads a checkout that may hold anything, so the
// builder runs this as the build user inside the jail rather than reading the files itself.
//   node cli.ts <project folder> <repository folder | -> <overrides as JSON>
// Prints the Detection as JSON on stdout.
import { detectProject } from "./index.ts";
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
process.stdout.write(`${JSON.stringify(detection)}\n`);
