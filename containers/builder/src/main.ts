// `npm start` in containers/builder (and the container's command): the builder as a plain process.
import os from "node:os";
import path from "node:path";
import { DEFAULT_CACHE_LIMITS, startBuilder } from "./index.ts";
import type { KeptLimits } from "./kept-workspaces.ts";
import { fromEnv, limitsFromEnv } from "./sandbox/limits.ts";
import { UNSAFE_VARIABLE } from "./sandbox/probe.ts";
import { directStorageFor, takeStorageConfig } from "./storage/index.ts";

const env = process.env;
const secret = env.BUILDER_SECRET ?? "";
if (secret.length < 16) {
  process.stderr.write("BUILDER_SECRET must be set (at least 16 characters)\n");
  process.exit(1);
}
let directStorage: ReturnType<typeof directStorageFor>;
let limits: ReturnType<typeof limitsFromEnv>;
let cacheLimits: KeptLimits;
try {
  directStorage = directStorageFor(takeStorageConfig(env));
  limits = limitsFromEnv(env);
  const MB = 1024 * 1024;
  cacheLimits = {
    projectBytes: fromEnv(env, "BUILDER_CACHE_PROJECT_MB", DEFAULT_CACHE_LIMITS.projectBytes, MB),
    totalBytes: fromEnv(env, "BUILDER_CACHE_MB", DEFAULT_CACHE_LIMITS.totalBytes, MB),
    mounted:
      env.BUILDER_CACHE_MOUNTED === "0"
        ? 0
        : fromEnv(env, "BUILDER_CACHE_MOUNTED", DEFAULT_CACHE_LIMITS.mounted ?? 8, 1),
  };
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const base = env.BUILDER_DATA_DIR ?? path.join(os.tmpdir(), "miaobu-builder");
const running = await startBuilder({
  secret,
  port: Number(env.BUILDER_PORT ?? 8789),
  host: env.BUILDER_HOST ?? "127.0.0.1",
  concurrency: Number(env.BUILDER_CONCURRENCY ?? 2),
  workDir: env.BUILDER_WORK_DIR ?? path.join(base, "work"),
  cacheDir: env.BUILDER_CACHE_DIR ?? path.join(base, "cache"),
  ...(env.BUILDER_NPMRC !== undefined ? { npmrc: env.BUILDER_NPMRC.replaceAll("\\n", "\n") } : {}),
  ...(env.BUILDER_USER !== undefined ? { buildUser: env.BUILDER_USER === "" ? null : env.BUILDER_USER } : {}),
  // One machine keeps each branch's last workspace; a Container, empty every time, keeps archives in storage.
  cacheMode: env.BUILDER_LOCAL_CACHE === "0" ? "archive" : "kept",
  cacheLimits,
  limits,
  unsafeNoSandbox: env[UNSAFE_VARIABLE] === "1",
  directStorage,
});
process.stderr.write(
  `[builder] listening on ${running.url}${directStorage ? `; files go straight to ${directStorage.kind}` : ""}\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void running.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
