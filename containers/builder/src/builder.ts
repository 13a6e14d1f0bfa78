import type { Detection } from "@miaobu/detect";
import { Build, type BuildContext } from "./build.ts";
import { BuildFailure, cloneSource } from "./clone.ts";
import { detectInJail } from "./detect-in-jail.ts";
import { vetGitUrl } from "./git-policy.ts";
import { killUserProcesses } from "./process.ts";
import type { BuildRequest, GitSource } from "./protocol.ts";
import { ensureUser, isRoot } from "./sandbox/users.ts";
import { projectPaths } from "./steps.ts";
import { leaseUserName } from "./user-lease.ts";

/** What `POST /analyze` answers. */
export interface Analysis extends Omit<Detection, "packageManagerVersion"> {
  commitSha: string;
}

/** The builds a builder runs, at most `capacity` at once, each in its own slot. */
export class Builder {
  readonly capacity: number;
  readonly #context: BuildContext;
  readonly #builds = new Map<string, { build: Build; done: Promise<void> }>();
  readonly #finished: string[] = [];
  readonly #free: number[];
  #analyses: Promise<unknown> = Promise.resolve();

  constructor(context: BuildContext, capacity: number) {
    this.#context = context;
    this.capacity = capacity;
    this.#free = Array.from({ length: capacity }, (_, slot) => slot);
  }

  /** Whether builds run as unprivileged users (configured, and possible only as root). */
  get switchesUsers(): boolean {
    return this.#context.buildUser !== null;
  }

  get running(): number {
    return this.#builds.size;
  }

  /** Starts a build; a retry of one running or just finished is recognized, a full builder refuses. */
  start(request: BuildRequest): "started" | "duplicate" | "busy" {
    if (this.#builds.has(request.deploymentId) || this.#finished.includes(request.deploymentId))
      return "duplicate";
    const slot = this.#free.shift();
    if (slot === undefined) return "busy";
    const build = new Build(request, this.#context);
    const done = build
      .run(slot)
      .catch((error: unknown) => this.#context.warn(`[${request.deploymentId}] ${String(error)}`))
      .finally(() => {
        this.#builds.delete(request.deploymentId);
        this.#finished.push(request.deploymentId);
        if (this.#finished.length > 200) this.#finished.shift();
        this.#free.push(slot);
        this.#free.sort((a, b) => a - b);
      });
    this.#builds.set(request.deploymentId, { build, done });
    return "started";
  }

  /** Cancels a running build; false when it is not running here. */
  cancel(deploymentId: string): boolean {
    const entry = this.#builds.get(deploymentId);
    if (!entry) return false;
    entry.build.cancel();
    return true;
  }

  /** Resolves when a build has finished reporting (for tests and shutdown). */
  async settled(deploymentId: string): Promise<void> {
    await this.#builds.get(deploymentId)?.done;
  }

  /**
   * Clones a source and detects how it would build, without running any of its code, in a jail of its own
   * (one analysis at a time, as a build user no slot uses).
   */
  analyze(source: GitSource): Promise<Analysis> {
    const run = this.#analyses.then(() => this.#analyze(source));
    this.#analyses = run.catch(() => undefined);
    return run;
  }

  async #analyze(source: GitSource): Promise<Analysis> {
    const { buildUser, sandboxes } = this.#context;
    const user =
      isRoot() && buildUser ? await ensureUser(leaseUserName(buildUser, this.capacity)) : undefined;
    const jail = await sandboxes.open("analyze", user);
    try {
      const src = `${jail.workspace.inside}/src`;
      const vetted = await vetGitUrl(source.url, { allowedHosts: this.#context.gitAllowedHosts });
      const commit = await cloneSource(source, src, { jail, vetted, log: () => {} });
      const project = await projectPaths(jail, source.rootDir);
      const detection = await detectInJail(jail, this.#context.detect, {
        project,
        repoInside: source.rootDir ? src : null,
        overrides: {},
      });
      const { packageManagerVersion: _, ...rest } = detection;
      return { ...rest, commitSha: commit.commit };
    } finally {
      if (user) await killUserProcesses(user.uid);
      await sandboxes.close(jail);
    }
  }

  /** Cancels every build and waits until each has reported. */
  async close(): Promise<void> {
    const pending = [...this.#builds.values()];
    for (const entry of pending) entry.build.cancel();
    await Promise.all(pending.map((entry) => entry.done));
  }
}

export { BuildFailure };
