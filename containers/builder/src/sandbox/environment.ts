// What a build's processes see of the environment, and what the builder's own tool calls get.

/**
 * The whole environment of the install and build steps: PATH, HOME, CI=1, the project's variables and
 * MIAOBU_* metadata, nothing else. Platform values are set last so a project variable cannot replace them.
 */
export function buildEnvironment(input: {
  pathDirs: readonly string[];
  home: string;
  env: Record<string, string>;
  metadata: { deploymentId: string; branch: string; commit: string; project: string };
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.env)) {
    if (!key.startsWith("MIAOBU_")) env[key] = value;
  }
  env.PATH = [...new Set(input.pathDirs)].join(":");
  env.HOME = input.home;
  env.CI = "1";
  env.MIAOBU_DEPLOYMENT_ID = input.metadata.deploymentId;
  env.MIAOBU_BRANCH = input.metadata.branch;
  env.MIAOBU_COMMIT = input.metadata.commit;
  env.MIAOBU_PROJECT = input.metadata.project;
  return env;
}

/** TLS and proxy settings of the machine, for the builder's own git and npm calls (never for builds). */
export function operatorNetworkEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of [
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GIT_SSL_CAINFO",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
  ]) {
    const value = process.env[key];
    if (value) env[key] = value;
  }
  return env;
}
