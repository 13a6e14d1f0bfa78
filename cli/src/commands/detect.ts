import { stat } from "node:fs/promises";
import path from "node:path";
import { detectProject } from "@miaobu/detect";
import { folderFiles } from "@miaobu/detect/node";
import type { Command } from "../command";
import { CliError } from "../errors";

export const detect: Command = {
  name: "detect",
  summary: "Show how Miaobu would build a folder: framework, commands, output, Node, and why",
  description:
    "Runs the same detection as the builder, on a local folder, without building or uploading anything.\nProject settings (framework, commands, output folder, Node version) override each of these.",
  positionals: [
    { name: "dir", required: false, description: "The project folder (default: the current folder)" },
  ],
  options: {},
  examples: ["miaobu detect", "miaobu detect ./apps/web --json"],
  async run(context, args) {
    const dir = path.resolve(args.positionals[0] ?? ".");
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) throw new CliError(`${args.positionals[0] ?? dir} is not a folder`);
    const result = await detectProject(folderFiles(dir));
    const pm = result.packageManagerVersion
      ? `${result.packageManager} ${result.packageManagerVersion}`
      : result.packageManager;
    context.out.line(
      `Framework:        ${result.framework ? `${result.framework.name} (${result.framework.id})` : "none"}`,
    );
    context.out.line(`Install command:  ${result.installCommand ?? "-"}`);
    context.out.line(`Build command:    ${result.buildCommand ?? "-"}`);
    context.out.line(`Output folder:    ${result.outputDir}`);
    context.out.line(`Node version:     ${result.nodeVersion ?? "the builder's default"}`);
    context.out.line(`Package manager:  ${pm}`);
    context.out.line("");
    context.out.line("Why:");
    for (const reason of result.reasons) context.out.line(`  - ${reason}`);
    context.out.result({ dir, ...result });
    return 0;
  },
};
