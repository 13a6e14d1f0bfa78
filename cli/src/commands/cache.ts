import type { Command } from "../command";
import { formatBytes, plural } from "../output";

export const cacheClear: Command = {
  name: "cache clear",
  summary: "Clear a project's build cache, so the next builds install from scratch",
  description: [
    "Builds keep a cache per branch (node_modules, the package manager's store, framework caches) and",
    "restore it on the next build. This deletes the cache of every branch of the project; the next build",
    "of each branch installs everything again and saves a fresh cache. A build running right now does",
    "not save its cache. To rebuild one branch without its cache, use `miaobu trigger --no-cache`.",
    "Needs a token with the admin scope.",
  ].join("\n"),
  positionals: [{ name: "project", required: true, description: "The project's name (or id)" }],
  options: {},
  examples: ["miaobu cache clear my-site", "miaobu cache clear my-site --json"],
  async run(context, { positionals }) {
    const [project = ""] = positionals;
    const client = await context.client();
    const { clearedAt, archives } = await client.clearCache(project);
    const { out } = context;
    const freed = archives.deleted > 0 ? ` (${formatBytes(archives.bytes)})` : "";
    out.line(
      `Cleared the build cache of ${project}: deleted ${plural(archives.deleted, "archive")}${freed}.`,
    );
    out.note(`The next build of each branch installs from scratch: miaobu trigger ${project}`);
    out.result({ project, clearedAt, archives });
    return 0;
  },
};
