import type { Command } from "../command";
import { UsageError } from "../errors";
import { followToEnd } from "./logs";

export const trigger: Command = {
  name: "trigger",
  summary: "Build a project from its git repository",
  description: [
    "Queues a build of the branch (default: the production branch) at its latest commit, or of --commit.",
    "A build of the production branch becomes production when it is ready, unless a newer deployment",
    "already is. With --follow, streams the build log and exits 0 if the build became ready.",
    "--no-cache builds without the build cache: nothing is restored (a clean install), and the cache this",
    "build saves replaces the branch's. `miaobu cache clear` drops the cache of every branch instead.",
  ].join("\n"),
  positionals: [{ name: "project", required: true, description: "The project's name (or id)" }],
  options: {
    branch: { type: "string", value: "<branch>", description: "The branch to build" },
    commit: { type: "string", value: "<sha>", description: "The commit to build (default: the branch head)" },
    follow: { type: "boolean", short: "f", description: "Stream the build log until the build ends" },
    "no-cache": { type: "boolean", description: "Build without the build cache (a clean install)" },
  },
  examples: [
    "miaobu trigger my-site",
    "miaobu trigger my-site --branch feature/x --follow",
    "miaobu trigger my-site --no-cache --follow",
  ],
  async run(context, { values, positionals }) {
    const [project = ""] = positionals;
    const client = await context.client();
    const body: { branch?: string; commit?: string; cache?: boolean } = {};
    if (typeof values.branch === "string") body.branch = values.branch;
    if (typeof values.commit === "string") body.commit = values.commit;
    if (values["no-cache"] === true) body.cache = false;
    const { deployment } = await client.triggerBuild(project, body);
    const { out } = context;
    const cache = deployment.skipCache === true ? ", without cache" : "";
    out.note(`Queued build ${deployment.id} of ${deployment.project} (branch ${deployment.branch}${cache})`);
    if (values.follow === true) return followToEnd(context, client, deployment.id);
    out.line(deployment.id);
    out.note(`  URL when ready: ${deployment.url}`);
    out.note(`  Follow its log: miaobu logs ${deployment.id} --follow`);
    out.result({ deployment });
    return 0;
  },
};

export const cancel: Command = {
  name: "cancel",
  summary: "Cancel a queued or running build",
  positionals: [{ name: "deploymentId", required: true, description: "The deployment's id, e.g. dpl_…" }],
  options: {},
  examples: ["miaobu cancel dpl_01jd3k5x9q2mzr8t"],
  async run(context, { positionals }) {
    const [deploymentId = ""] = positionals;
    const client = await context.client();
    const { deployment } = await client.cancelDeployment(deploymentId);
    context.out.line(`Canceled ${deployment.id}`);
    context.out.result({ deployment });
    return 0;
  },
};

export const deployHook: Command = {
  name: "deploy-hook",
  summary: "Create, rotate or remove a project's deploy hook",
  description: [
    "A deploy hook is a secret URL that starts a build when anything POSTs to it (add ?branch=… for",
    "another branch). The URL is shown once, when it is created or rotated; rotating makes the old",
    "one stop working.",
  ].join("\n"),
  positionals: [{ name: "project", required: true, description: "The project's name (or id)" }],
  options: {
    rotate: { type: "boolean", description: "Replace the hook with a new secret URL" },
    remove: { type: "boolean", description: "Remove the hook" },
  },
  examples: [
    "miaobu deploy-hook my-site",
    "miaobu deploy-hook my-site --rotate",
    "miaobu deploy-hook my-site --remove",
  ],
  async run(context, { values, positionals }) {
    const [project = ""] = positionals;
    if (values.rotate === true && values.remove === true) {
      throw new UsageError("pass either --rotate or --remove, not both");
    }
    const client = await context.client();
    const { out } = context;
    if (values.remove === true) {
      await client.removeDeployHook(project);
      out.line(`Removed the deploy hook of ${project}.`);
      out.result({ removed: true, project });
      return 0;
    }
    if (values.rotate !== true) {
      const { project: found } = await client.getProject(project);
      if (found.hasDeployHook === true) {
        out.note(`${found.name} already has a deploy hook; its URL was shown when it was created.`);
        out.note("Run with --rotate for a new URL (the old one stops working), or --remove.");
        out.result({ project: found.name, hasDeployHook: true });
        return 0;
      }
    }
    const { hook, project: updated } = await client.rotateDeployHook(project);
    out.note(`Deploy hook of ${updated.name} (keep it secret; it is shown only now):`);
    out.line(hook.url);
    out.note(`Trigger a build: curl -X POST '${hook.url}?branch=${updated.productionBranch}'`);
    out.result({ project: updated.name, hook });
    return 0;
  },
};
