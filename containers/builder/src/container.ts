// Production: one Cloudflare Container per build, running the same program as `npm start` (Dockerfile).
// The API Worker exports this class and reaches the builder through it with the same HTTP protocol.
import { Container } from "@cloudflare/containers";
import { STORAGE_VARIABLES } from "@miaobu/storage/config";

/** The bindings the container needs from the API Worker's environment. */
export interface BuilderContainerEnv {
  /** The shared secret of docs/builder-protocol.md (a wrangler secret). */
  BUILDER_SECRET: string;
}

/** The builder as a Container-enabled Durable Object: one instance per deployment id. */
export class BuilderContainer extends Container<BuilderContainerEnv> {
  override defaultPort = 8789;
  // A build reports at least every 15 s; an instance idle this long has nothing left to do.
  override sleepAfter = "5m";
  override enableInternet = true;

  constructor(ctx: ConstructorParameters<typeof Container>[0], env: BuilderContainerEnv) {
    super(ctx, env);
    this.envVars = {
      BUILDER_SECRET: env.BUILDER_SECRET,
      BUILDER_HOST: "0.0.0.0",
      BUILDER_PORT: "8789",
      // One build per container: the instance is the isolation boundary in production.
      BUILDER_CONCURRENCY: "1",
      BUILDER_DATA_DIR: "/var/lib/miaobu-builder",
      // With an S3 or OSS bucket the builder writes files to it directly (docs/storage.md); the builder
      // removes these from its environment at start, and builds never see them.
      ...storageVariablesOf(env),
      // Hosts git URLs may name although they are private (docs/configuration.md); the API reads the same.
      ...gitAllowedHostsOf(env),
    };
  }
}

function storageVariablesOf(env: BuilderContainerEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORAGE_VARIABLES) {
    const value: unknown = Reflect.get(env, name);
    if (typeof value === "string" && value !== "") out[name] = value;
  }
  return out;
}

function gitAllowedHostsOf(env: BuilderContainerEnv): Record<string, string> {
  const value: unknown = Reflect.get(env, "MIAOBU_GIT_ALLOWED_HOSTS");
  return typeof value === "string" && value.trim() !== "" ? { MIAOBU_GIT_ALLOWED_HOSTS: value } : {};
}
