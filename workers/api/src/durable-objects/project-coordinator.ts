import { DurableObject } from "cloudflare:workers";
import { type DeploymentStatus, deployments, projects } from "@miaobu/db";
import { and, eq } from "drizzle-orm";
import { depsOf } from "../deps.ts";
import type { Deps } from "../env.ts";
import { type BuilderClient, builderFromEnv } from "../services/builds/builder.ts";
import { type BuildLogs, buildLogsOf } from "../services/builds/clients.ts";
import { applyEvent, type BuildEvent } from "../services/builds/events.ts";
import { isFinal } from "../services/builds/phases.ts";
import { buildRequestFor, claimStart, unclaimStart } from "../services/builds/start.ts";
import { changeStatus, markReadyFinished } from "../services/builds/status.ts";
import { newCallbackToken } from "../services/builds/token.ts";
import { type DeploymentRow, parseRulesReport } from "../services/deployments/present.ts";
import { reportToGitHub } from "../services/github/feedback.ts";

interface QueueRow extends Record<string, SqlStorageValue> {
  deployment_id: string;
  project_id: string;
  branch: string;
  state: "queued" | "running";
  not_before: number;
}

type StartOutcome = "started" | "full" | "busy" | "gone";

// How often a project waiting for a global build slot looks again (no one tells it when one frees up).
const GLOBAL_RETRY_MS = 5_000;

/**
 * One per project (named by its id): the only place that starts its builds. Its SQLite table is the
 * project's build queue (queued and running builds, oldest first); D1 stays the record users see. At most
 * `builds.perProject` run at once, a newer queued build of a branch supersedes older queued ones, the global
 * limit is claimed atomically in D1 (see `claimStart`), and the alarm is the watchdog of running builds.
 */
export class ProjectCoordinator extends DurableObject<Env> {
  private pumping = false;
  private pumpAgain = false;

  private depsCache: Deps | undefined;

  /** Built once per instance: everything in it is stateless over the bindings. */
  private get deps(): Deps {
    this.depsCache ??= depsOf(this.env, (promise) => this.ctx.waitUntil(promise));
    return this.depsCache;
  }

  private get builder(): BuilderClient {
    return builderFromEnv(this.env, this.deps.config.builds);
  }

  private get logs(): BuildLogs {
    return buildLogsOf(this.env);
  }

  private rows(state?: QueueRow["state"]): QueueRow[] {
    this.ensureTable();
    const cursor =
      state === undefined
        ? this.ctx.storage.sql.exec<QueueRow>("select * from builds order by deployment_id")
        : this.ctx.storage.sql.exec<QueueRow>(
            "select * from builds where state = ? order by deployment_id",
            state,
          );
    return cursor.toArray();
  }

  private ensureTable(): void {
    this.ctx.storage.sql.exec(
      `create table if not exists builds (deployment_id text primary key, project_id text not null,
        branch text not null, state text not null, not_before integer not null default 0)`,
    );
  }

  private forget(deploymentId: string): void {
    this.ensureTable();
    this.ctx.storage.sql.exec("delete from builds where deployment_id = ?", deploymentId);
  }

  /** Takes a queued build: older queued builds of its branch are superseded, then whatever may start starts. */
  async enqueue(projectId: string, deploymentId: string): Promise<void> {
    const { db } = this.deps;
    const row = await db
      .select()
      .from(deployments)
      .where(and(eq(deployments.id, deploymentId), eq(deployments.projectId, projectId)))
      .get();
    if (row?.status !== "queued") return;
    this.ensureTable();
    this.ctx.storage.sql.exec(
      "insert or ignore into builds (deployment_id, project_id, branch, state) values (?, ?, ?, 'queued')",
      deploymentId,
      projectId,
      row.branch,
    );
    const older = this.rows("queued").filter(
      (q) => q.branch === row.branch && q.deployment_id < deploymentId,
    );
    for (const q of older) {
      const superseded = await changeStatus(
        this.deps,
        q.deployment_id,
        "superseded",
        Date.now(),
        (r) => r.status === "queued" && r.startedAt === null,
        { errorMessage: `Superseded by ${deploymentId}, a newer build of ${row.branch}.` },
      );
      if (superseded) {
        this.forget(q.deployment_id);
        await this.endLog(projectId, q.deployment_id, "superseded");
      }
    }
    await this.pump(projectId);
  }

  /** Applies a builder report; a final one frees the build's slot. */
  async report(projectId: string, deploymentId: string, event: BuildEvent): Promise<DeploymentRow | null> {
    const row = await applyEvent(this.deps, deploymentId, event);
    if (row && isFinal(row.status)) await this.finished(projectId, row);
    return row;
  }

  /** Looks at a build that may have finished (after finalize) and, if it has, frees its slot. */
  async settle(projectId: string, deploymentId: string): Promise<void> {
    const row = await this.deployment(projectId, deploymentId);
    if (row && isFinal(row.status)) await this.finished(projectId, row);
  }

  /** Cancels a queued build at once, or a running one at the builder first; null if it had finished. */
  async cancel(projectId: string, deploymentId: string): Promise<DeploymentRow | null> {
    const row = await this.deployment(projectId, deploymentId);
    if (!row || isFinal(row.status)) return null;
    if (row.startedAt !== null) await this.builder.cancel(deploymentId);
    const canceled = await changeStatus(this.deps, deploymentId, "canceled", Date.now(), () => true, {
      errorMessage: "Canceled.",
    });
    if (!canceled) return null;
    await this.finished(projectId, canceled, "The build was canceled.");
    return canceled;
  }

  /** The watchdog: fails running builds that stopped reporting, settles finished ones, retries waiting ones. */
  override async alarm(): Promise<void> {
    const [first] = this.rows();
    if (!first) return;
    const projectId = first.project_id;
    const now = Date.now();
    const timeout = this.deps.config.builds.heartbeatTimeoutMs;
    for (const q of this.rows("running")) {
      const row = await this.deployment(projectId, q.deployment_id);
      if (!row) {
        this.forget(q.deployment_id);
        continue;
      }
      if (isFinal(row.status)) {
        await this.finished(projectId, row);
        continue;
      }
      const last = row.heartbeatAt ?? row.startedAt ?? row.createdAt;
      if (now - last <= timeout) continue;
      const silent = Math.round((now - last) / 1000);
      const error = `The builder stopped reporting: nothing for ${silent} s (the limit is ${timeout / 1000} s).`;
      await this.builder.cancel(q.deployment_id);
      const failed = await changeStatus(this.deps, q.deployment_id, "failed", now, () => true, {
        errorMessage: error,
      });
      if (failed) await this.finished(projectId, failed, error);
    }
    await this.pump(projectId);
  }

  private async deployment(projectId: string, deploymentId: string): Promise<DeploymentRow | undefined> {
    return this.deps.db
      .select()
      .from(deployments)
      .where(and(eq(deployments.id, deploymentId), eq(deployments.projectId, projectId)))
      .get();
  }

  /** Bookkeeping of a build that reached a final status: its slot, its log, the next build. */
  private async finished(projectId: string, row: DeploymentRow, note?: string): Promise<void> {
    await markReadyFinished(this.deps, row, Date.now());
    this.forget(row.id);
    // The builder cannot log after finalize (its token dies), so the API adds finalize's warnings itself.
    const warnings = parseRulesReport(row.rulesReport).map(
      (p) => `warning: ${p.file}:${p.line}: ${p.message}`,
    );
    await this.endLog(projectId, row.id, row.status, note ?? (warnings.length > 0 ? warnings : undefined));
    const project = await this.deps.db.select().from(projects).where(eq(projects.id, projectId)).get();
    // Not awaited: the next build need not wait for GitHub (reportToGitHub never throws).
    if (project?.githubRepoFullName) this.ctx.waitUntil(reportToGitHub(this.deps, project, row));
    await this.pump(projectId);
  }

  private async endLog(
    projectId: string,
    deploymentId: string,
    status: DeploymentStatus,
    note?: string | readonly string[],
  ): Promise<void> {
    try {
      await this.logs.end(projectId, deploymentId, status, note);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "ending the build log failed",
          deploymentId,
          error: String(error),
        }),
      );
    }
  }

  /** Starts queued builds while the project and the platform have room; one pump at a time. */
  private async pump(projectId: string): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.startWhatMay(projectId);
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    await this.schedule();
  }

  private async startWhatMay(projectId: string): Promise<void> {
    const limit = this.deps.config.builds.perProject;
    let running = this.rows("running").length;
    for (const q of this.rows("queued")) {
      if (running >= limit || q.not_before > Date.now()) return;
      const outcome = await this.start(projectId, q.deployment_id);
      if (outcome === "started") running += 1;
      else if (outcome === "gone") this.forget(q.deployment_id);
      else return;
    }
  }

  private async start(projectId: string, deploymentId: string): Promise<StartOutcome> {
    const deps = this.deps;
    const { token, hash } = await newCallbackToken();
    const claim = await claimStart(deps, deploymentId, hash, Date.now(), deps.config.builds.global);
    // When the platform is full, the alarm (see `schedule`) tries again.
    if (claim !== "claimed") return claim;
    this.ctx.storage.sql.exec("update builds set state = 'running' where deployment_id = ?", deploymentId);
    const project = await deps.db.select().from(projects).where(eq(projects.id, projectId)).get();
    const row = await this.deployment(projectId, deploymentId);
    const request = project && row ? await buildRequestFor(deps, project, row, token) : null;
    const result = request
      ? await this.builder.start(request)
      : { kind: "failed" as const, reason: "The project no longer has a git repository to build." };
    if (result.kind === "accepted") return "started";
    if (result.kind === "busy") {
      await unclaimStart(deps, deploymentId);
      this.ctx.storage.sql.exec("update builds set state = 'queued' where deployment_id = ?", deploymentId);
      this.setNotBefore(deploymentId, Date.now() + result.retryAfterMs);
      return "busy";
    }
    const failed = await changeStatus(deps, deploymentId, "failed", Date.now(), () => true, {
      errorMessage: result.reason,
    });
    this.forget(deploymentId);
    if (failed) await this.endLog(projectId, deploymentId, "failed", result.reason);
    return "gone";
  }

  private setNotBefore(deploymentId: string, at: number): void {
    this.ctx.storage.sql.exec("update builds set not_before = ? where deployment_id = ?", at, deploymentId);
  }

  /** Watchdog while builds run, a retry while builds wait; nothing (and no storage) when the queue is empty. */
  private async schedule(): Promise<void> {
    const rows = this.rows();
    if (rows.length === 0) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      return;
    }
    const now = Date.now();
    const timeout = this.deps.config.builds.heartbeatTimeoutMs;
    const watch = Math.max(1_000, Math.min(timeout / 4, 15_000));
    const times = rows.map((q) =>
      q.state === "running"
        ? now + watch
        : Math.max(q.not_before, now + (q.not_before > 0 ? 0 : GLOBAL_RETRY_MS)),
    );
    await this.ctx.storage.setAlarm(Math.min(...times));
  }
}
