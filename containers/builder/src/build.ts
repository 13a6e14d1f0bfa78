import path from "node:path";
import type { AllowedHost } from "@miaobu/shared";
import type { Storage } from "@miaobu/storage/types";
import { BuildCache, type CacheOrigin, type CacheTier, cachedFolders, installKey } from "./build-cache.ts";
import { CallbackClient } from "./callback.ts";
import { BuildFailure, cloneSource } from "./clone.ts";
import { type DetectProgram, detectInJail } from "./detect-in-jail.ts";
import { vetGitUrl } from "./git-policy.ts";
import { collectOutput } from "./output.ts";
import { killUserProcesses, type RunAs } from "./process.ts";
import type { BuildEvent, BuildRequest } from "./protocol.ts";
import { publishOutput } from "./publish.ts";
import { Reporter } from "./reporter.ts";
import { buildEnvironment } from "./sandbox/environment.ts";
import type { Jail } from "./sandbox/jail.ts";
import { SandboxUnavailable } from "./sandbox/probe.ts";
import type { Sandboxes } from "./sandbox/sandboxes.ts";
import { ensureUser, isRoot } from "./sandbox/users.ts";
import { mb, projectPaths, runUserCommand, Stop, seconds, writeNpmrc } from "./steps.ts";
import { resolveToolchain } from "./toolchain.ts";
import { leaseUserName } from "./user-lease.ts";

/** What every build of a builder shares. */
export interface BuildContext {
  /** Makes each build's jail (docs/security.md). */
  sandboxes: Sandboxes;
  /** The detection program jails run. */
  detect: DetectProgram;
  /** Git hosts the operator allows on loopback or private addresses (`MIAOBU_GIT_ALLOWED_HOSTS`). */
  gitAllowedHosts: readonly AllowedHost[];
  toolsDir: string;
  /** Where one build's cache comes from and goes (archives may use the build's callback client). */
  cacheTier: (build: { client: CallbackClient; deploymentId: string; signal: AbortSignal }) => CacheTier;
  /** Prefix of the build users (`miaobu-build` → `miaobu-build-0`…), or null to never switch users. */
  buildUser: string | null;
  /** Operator settings written to the build's `~/.npmrc` (registry, cafile; never credentials), or null. */
  npmrc: string | null;
  /** Masked in logs like secret env vars, though no build should ever see it. */
  builderSecret: string;
  /** The platform's S3 or OSS bucket, when blobs go there directly (see `uploadDeployment`). */
  directStorage: Storage | null;
  fetch?: typeof fetch;
  heartbeatMs?: number;
  warn: (message: string) => void;
}

/** One build: clone → detect → toolchain → cache → install → build → output → upload → cache save. */
export class Build {
  readonly request: BuildRequest;
  readonly #context: BuildContext;
  readonly #abort = new AbortController();

  constructor(request: BuildRequest, context: BuildContext) {
    this.request = request;
    this.#context = context;
  }

  /** Stops the build: its processes are killed at once and it reports `canceled`. */
  cancel(): void {
    if (!this.#abort.signal.aborted) this.#abort.abort(new Stop("canceled"));
  }

  /** Runs the build in a slot; never throws (failures are reported to the API). */
  async run(slot: number): Promise<void> {
    const request = this.request;
    const context = this.#context;
    const signal = this.#abort.signal;
    const client = new CallbackClient({
      apiUrl: request.callback.apiUrl,
      token: request.callback.token,
      ...(context.fetch ? { fetch: context.fetch } : {}),
    });
    const secretValues = request.secretEnvKeys.map((key) => request.env[key]).filter((v) => v !== undefined);
    const reporter = new Reporter({
      client,
      deploymentId: request.deploymentId,
      secrets: [...secretValues, request.callback.token, context.builderSecret],
      ...(context.heartbeatMs ? { heartbeatMs: context.heartbeatMs } : {}),
      warn: context.warn,
    });
    const cache = new BuildCache(
      context.cacheTier({ client, deploymentId: request.deploymentId, signal }),
      request,
      (line) => reporter.system(line),
    );
    const limit = request.settings.timeoutSeconds;
    const timer = setTimeout(() => this.#abort.abort(new Stop("timeout")), limit * 1000);
    const timings: string[] = [];
    const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      signal.throwIfAborted();
      const started = Date.now();
      reporter.system(`▶ ${name}`);
      const value = await work();
      const took = Date.now() - started;
      timings.push(`${name} ${seconds(took)}`);
      reporter.system(`✓ ${name} (${seconds(took)})`);
      return value;
    };
    let jail: Jail | undefined;
    let user: RunAs | undefined;
    let meta: Omit<BuildEvent, "status" | "at"> = {};
    // Set once the deployment is ready: what its cache keeps.
    let kept: { folders: string[]; origin: CacheOrigin } | null = null;
    const started = Date.now();
    try {
      void reporter.event("cloning");
      user =
        isRoot() && context.buildUser ? await ensureUser(leaseUserName(context.buildUser, slot)) : undefined;
      if (user) await killUserProcesses(user.uid);
      else
        reporter.system("warning: the builder does not run as root, so builds run as the builder's own user");
      jail = await context.sandboxes.open(`slot-${slot}`, user, cache.reuse(context.sandboxes.diskBytes));
      const box = jail;
      await cache.prepare(box, signal);
      const disk = box.workspace.diskBytes;
      reporter.system(
        `Sandbox: ${context.sandboxes.describe()}; disk ${disk === null ? "not limited (the builder is not root)" : mb(disk)}`,
      );
      const src = `${box.workspace.inside}/src`;
      const vetted = await vetGitUrl(request.source.url, { allowedHosts: context.gitAllowedHosts });
      const commit = await step("clone", () =>
        cloneSource(request.source, src, {
          jail: box,
          vetted,
          signal,
          log: (stream, text) => reporter.log(stream, text),
        }),
      );
      reporter.system(`Commit ${commit.commit}: ${commit.message}`);
      meta = { commitSha: commit.commit, commitMessage: commit.message };
      const project = await projectPaths(box, request.source.rootDir);
      const repoHost = path.join(box.workspace.host, "src");

      const detection = await step("detect", () =>
        detectInJail(box, context.detect, {
          project,
          repoInside: request.source.rootDir ? src : null,
          overrides: request.settings,
          signal,
        }),
      );
      for (const reason of detection.reasons) reporter.system(`  ${reason}`);
      reporter.system(
        `Framework: ${detection.framework?.name ?? "none"} · install: ${detection.installCommand ?? "-"} · build: ${detection.buildCommand ?? "-"} · output: ${detection.outputDir}`,
      );
      if (detection.framework) meta.framework = detection.framework.id;
      void reporter.event("installing", meta);

      const toolchain = await step("toolchain", () =>
        resolveToolchain({
          nodeVersion: detection.nodeVersion,
          packageManager: detection.packageManager,
          packageManagerVersion: detection.packageManagerVersion,
          toolsDir: context.toolsDir,
          signal,
          log: (stream, text) => reporter.log(stream, text),
        }),
      );
      for (const note of toolchain.notes) reporter.system(`  ${note}`);

      const folders = cachedFolders(request.source.rootDir, detection);
      const origin: CacheOrigin = {
        nodeMajor: toolchain.nodeVersion.split(".")[0] ?? toolchain.nodeVersion,
        packageManager: toolchain.packageManager,
        install: installKey(detection.installInputs.hash, {
          node: toolchain.nodeVersion,
          tools: toolchain.pathDirs,
          command: detection.installCommand,
          env: request.env,
          npmrc: context.npmrc,
        }),
      };
      await step("restore build cache", () => cache.restore(box, folders, origin, signal));

      const home = `${box.workspace.inside}/home`;
      await writeNpmrc(box.workspace.host, user, context.npmrc);
      const env = buildEnvironment({
        pathDirs: toolchain.pathDirs,
        home,
        env: request.env,
        metadata: {
          deploymentId: request.deploymentId,
          branch: request.source.branch,
          commit: commit.commit,
          project: request.project.name,
        },
      });
      const runCommand = async (what: "install" | "build", command: string) => {
        try {
          await runUserCommand({ what, command, jail: box, cwd: project.inside, env, signal, reporter });
        } finally {
          if (user) await killUserProcesses(user.uid);
        }
      };
      const install = detection.installCommand;
      if (install && cache.installUpToDate(origin.install))
        reporter.system(
          `Skipping the install: node_modules come from the build cache, made by \`${install}\` from the same package.json and lockfile with the same Node, tools and environment (build without cache to run it)`,
        );
      else if (install) await step("install", () => runCommand("install", install));
      void reporter.event("building", meta);
      const build = detection.buildCommand;
      if (build) await step("build", () => runCommand("build", build));

      void reporter.event("uploading", meta);
      const output = await step("check output", () =>
        collectOutput(repoHost, project.host, detection.outputDir, request.limits),
      );
      for (const skipped of output.skipped) reporter.system(`  skipped ${skipped}`);
      await publishOutput({
        files: output.files,
        blobDir: box.workspace.private,
        known: cache.variants,
        client,
        deploymentId: request.deploymentId,
        direct: this.#context.directStorage
          ? { storage: this.#context.directStorage, projectId: request.project.id }
          : null,
        reporter,
        step,
        timings,
        started,
        signal,
      });
      kept = { folders, origin };
      cache.ready();
      // The deployment is ready and its log sealed: saving its cache delays nobody.
      // A failure (or a cancel now) costs the next build its cache, never this deployment.
      const saved = await cache
        .saveAfterReady(box, folders, origin, signal)
        .catch((error: unknown) => `warning: the build cache was not saved: ${String(error)}`);
      if (saved) context.warn(`[${request.deploymentId}] ${saved}`);
    } catch (caught) {
      const reason: unknown = signal.aborted ? signal.reason : caught;
      if (reason instanceof Stop && reason.kind === "canceled") {
        reporter.system("Build canceled");
        await reporter.flush();
        await reporter.event("canceled", meta);
      } else {
        const message =
          reason instanceof Stop
            ? `the build ran past its time limit of ${limit} s`
            : reason instanceof BuildFailure || reason instanceof SandboxUnavailable
              ? reason.message
              : `internal builder error: ${reason instanceof Error ? reason.message : String(reason)}`;
        if (
          !(reason instanceof Stop || reason instanceof BuildFailure || reason instanceof SandboxUnavailable)
        )
          context.warn(
            `[${request.deploymentId}] ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
          );
        reporter.system(`Build failed: ${message}`);
        if (timings.length > 0) reporter.system(`Timings: ${timings.join(" · ")}`);
        await reporter.flush();
        await reporter.event("failed", { ...meta, error: message });
      }
    } finally {
      clearTimeout(timer);
      if (user) await killUserProcesses(user.uid).catch(() => 0);
      await reporter.close();
      if (jail) await this.#close(jail, cache, kept);
    }
  }

  /** Removes the jail; after a ready build in kept mode, its workspace becomes the branch's cache. */
  async #close(jail: Jail, cache: BuildCache, kept: { origin: CacheOrigin } | null): Promise<void> {
    const warn = (error: unknown) => this.#context.warn(`[${this.request.deploymentId}] ${String(error)}`);
    const keep = kept ? await cache.keep(kept.origin, jail.workspace.diskBytes).catch(warn) : null;
    try {
      await this.#context.sandboxes.close(jail, keep?.path);
      await keep?.commit();
    } catch (error) {
      warn(error);
    } finally {
      cache.done();
    }
  }
}
