import type { Command } from "../command";

export const promote: Command = {
  name: "promote",
  summary: "Make a ready deployment production",
  description:
    "Points the project's production hostname and custom domains at the deployment. Nothing is rebuilt.",
  positionals: [{ name: "deploymentId", required: true, description: "The deployment's id, e.g. dpl_…" }],
  options: {},
  examples: ["miaobu promote dpl_01jd3k5x9q2mzr8t", "miaobu promote dpl_01jd3k5x9q2mzr8t --json"],
  async run(context, { positionals }) {
    const [deploymentId = ""] = positionals;
    const client = await context.client();
    const { deployment, project } = await client.promote(deploymentId);
    context.out.line(`Promoted ${deployment.id} to production of ${project.name}`);
    context.out.line(`  Production URL: ${project.productionUrl}`);
    context.out.line(`  Deployment URL: ${deployment.url}`);
    context.out.result({ deployment, project });
    return 0;
  },
};
