import type { Command } from "../command";

export const rollback: Command = {
  name: "rollback",
  summary: "Point production back at an earlier deployment",
  description: [
    "Without a deployment id, production goes back to the deployment that was production before",
    "the current one. Nothing is rebuilt or copied: only the routes change, at once.",
  ].join("\n"),
  positionals: [
    { name: "project", required: true, description: "The project's name (or id)" },
    { name: "deploymentId", required: false, description: "A ready deployment to roll back to" },
  ],
  options: {},
  examples: ["miaobu rollback my-site", "miaobu rollback my-site dpl_01jd3k5x9q2mzr8t"],
  async run(context, { positionals }) {
    const [projectName = "", deploymentId] = positionals;
    const client = await context.client();
    const { deployment, project } = await client.rollback(projectName, deploymentId);
    context.out.line(`Rolled back ${project.name}: production now serves ${deployment.id}`);
    context.out.line(`  Production URL: ${project.productionUrl}`);
    context.out.line(`  Deployment URL: ${deployment.url}`);
    context.out.result({ deployment, project });
    return 0;
  },
};
