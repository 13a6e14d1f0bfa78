import type { DeploymentStatus } from "@miaobu/db";
import type { DeploymentRow } from "../deployments/present.ts";
import type { BuildEvent } from "./events.ts";

/** One line of a build log, as the builder sends it. */
export interface LogLine {
  t: number;
  stream: "stdout" | "stderr" | "system";
  text: string;
}

/** The project's `ProjectCoordinator`, reached through this small interface. */
export interface Scheduler {
  /** Takes a queued build: supersedes older queued builds of its branch and starts what may start. */
  enqueue(projectId: string, deploymentId: string): Promise<void>;
  /** Applies a builder report; answers the updated deployment, or null when it changed nothing. */
  report(projectId: string, deploymentId: string, event: BuildEvent): Promise<DeploymentRow | null>;
  /** Called when a build's deployment may have finished (after finalize): frees its slot. */
  settle(projectId: string, deploymentId: string): Promise<void>;
  /** Cancels a queued or running build; null when it had already finished. */
  cancel(projectId: string, deploymentId: string): Promise<DeploymentRow | null>;
}

/** The deployment's `BuildLog`, reached through this small interface. */
export interface BuildLogs {
  /** Stores batch `seq` once; false when the log has ended (or the batch was refused). */
  append(deploymentId: string, seq: number, lines: LogLine[]): Promise<boolean>;
  /**
   * Ends the log, after last system lines `note` if given: the text goes to storage, clients get
   * `{type:"end"}`, the object deletes its data later.
   */
  end(
    projectId: string,
    deploymentId: string,
    status: DeploymentStatus,
    note?: string | readonly string[],
  ): Promise<void>;
  /** The log so far as text. */
  text(deploymentId: string): Promise<string>;
  /** Hands a WebSocket upgrade request to the log. */
  connect(deploymentId: string, request: Request): Promise<Response>;
}

/** The Durable Object implementation of `Scheduler`: one coordinator per project id. */
export function schedulerOf(env: Env): Scheduler {
  const stub = (projectId: string) =>
    env.PROJECT_COORDINATOR.get(env.PROJECT_COORDINATOR.idFromName(projectId));
  return {
    enqueue: (projectId, deploymentId) => stub(projectId).enqueue(projectId, deploymentId),
    report: (projectId, deploymentId, event) => stub(projectId).report(projectId, deploymentId, event),
    settle: (projectId, deploymentId) => stub(projectId).settle(projectId, deploymentId),
    cancel: (projectId, deploymentId) => stub(projectId).cancel(projectId, deploymentId),
  };
}

/** The Durable Object implementation of `BuildLogs`: one log object per deployment id. */
export function buildLogsOf(env: Env): BuildLogs {
  const stub = (deploymentId: string) => env.BUILD_LOG.get(env.BUILD_LOG.idFromName(deploymentId));
  return {
    append: (deploymentId, seq, lines) => stub(deploymentId).append(seq, lines),
    end: (projectId, deploymentId, status, note) =>
      stub(deploymentId).end(projectId, deploymentId, status, note),
    text: (deploymentId) => stub(deploymentId).text(),
    connect: (deploymentId, request) => stub(deploymentId).fetch(request),
  };
}
