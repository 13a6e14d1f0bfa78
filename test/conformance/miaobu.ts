// The system under test: the local platform (API, router, storage in workerd), each site deployed by
// the real CLI into a project of its own and requested through the router by the project's hostname.
import { loginAdmin, runCli, startTestPlatform, type TestPlatform, writeSite } from "../support/platform.ts";
import type { WorkersSettings } from "./workers-dev.ts";

export interface Miaobu {
  routerPort: number;
  /**
   * Deploys `dir` as production of a new project, served with `settings` (`miaobu projects update
   * --html-handling … --not-found-handling …`) or the defaults; resolves to the project's hostname.
   */
  deploy(project: string, dir: string, settings?: WorkersSettings): Promise<string>;
  stop(): Promise<void>;
}

async function cli(t: TestPlatform, args: string[]): Promise<string> {
  const result = await runCli(t, args);
  if (result.code !== 0)
    throw new Error(`miaobu ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** Starts the platform in a fresh folder and logs the CLI in. */
export async function startMiaobu(): Promise<Miaobu> {
  const t = await startTestPlatform();
  try {
    await loginAdmin(t);
  } catch (error) {
    await t.stop();
    throw error;
  }
  return {
    routerPort: t.routerPort,
    async deploy(project, dir, settings) {
      await cli(t, ["projects", "create", project, "--json"]);
      if (settings)
        await cli(t, [
          "projects",
          "update",
          project,
          "--html-handling",
          settings.htmlHandling,
          "--not-found-handling",
          settings.notFoundHandling,
          "--json",
        ]);
      await cli(t, ["deploy", dir, "--project", project, "--json"]);
      return `${project}.localhost`;
    },
    stop: () => t.stop(),
  };
}

export { writeSite };
