// Production: one Cloudflare Container per build, running the same program as `npm start` (Dockerfile).
// The API Worker exports this class and reaches the builder through it with the same HTTP protocol.
import { Container } from "@cloudflare/containers";

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
    };
  }
}
