import { ApiError, CliError, ConnectionError, type Problem } from "./errors";
import type {
  Certificate,
  ClearedCache,
  CreatedDeployment,
  Deployment,
  DeploymentFiles,
  DeploymentPage,
  Domain,
  EnvVar,
  Project,
  ProjectPage,
  PruneReport,
  RoutedDeployment,
  TokenInfo,
  User,
} from "./types";

/**
 * How a request is retried. `rate-limit`: only a 429 (the request was refused, so sending it again is
 * safe for any method). `transient`: also network errors and 5xx, for idempotent requests such as blob
 * uploads.
 */
export type RetryPolicy = "none" | "rate-limit" | "transient";

export interface RequestOptions {
  json?: unknown;
  body?: RequestInit["body"];
  headers?: Record<string, string>;
  /** Send the bearer token (default true). */
  auth?: boolean;
  retry?: RetryPolicy;
  /** The line to show instead of the API's own when it answers 404. */
  notFound?: string;
  timeoutMs?: number;
  /** Aborts the request (and the reading of its body), e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  api: string;
  token?: string | undefined;
  userAgent?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** First backoff delay; doubles on each attempt, with jitter. */
  retryBaseMs?: number;
  maxAttempts?: number;
  debug?: ((line: string) => void) | undefined;
}

const RETRY_CAP_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 120_000;

/** A thin client of the Miaobu API (docs/api.md): JSON in and out, problem+json errors, retries. */
export class ApiClient {
  readonly api: string;
  private readonly token: string | undefined;
  private readonly options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.api = options.api;
    this.token = options.token;
    this.options = options;
  }

  /** Sends one request and returns the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await readBody(await this.send(method, path, options))) as T;
  }

  /**
   * Sends one request with its retry policy and returns the successful response with its body unread, for
   * answers that are not JSON (a file's bytes); an error answer throws like `request`.
   */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const policy = options.retry ?? "rate-limit";
    const maxAttempts = policy === "none" ? 1 : (this.options.maxAttempts ?? 5);
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attempt(method, path, options);
      const last = attempt >= maxAttempts;
      if (outcome.kind === "network") {
        // Stopped on purpose (Ctrl-C): not a network failure, so never retried.
        if (options.signal?.aborted) throw options.signal.reason;
        if (policy !== "transient" || last) throw new ConnectionError(this.api, outcome.error);
        await this.wait(this.backoff(attempt), `${method} ${path}: ${describeCause(outcome.error)}`);
        continue;
      }
      const response = outcome.response;
      if (response.ok) return response;
      const retryable = response.status === 429 || (policy === "transient" && response.status >= 500);
      if (retryable && !last) {
        await response.body?.cancel();
        const delay = retryAfterMs(response.headers.get("retry-after")) ?? this.backoff(attempt);
        await this.wait(delay, `${method} ${path}: ${response.status}`);
        continue;
      }
      const problem = await readProblem(response);
      if (response.status === 404 && options.notFound) {
        throw new CliError(options.notFound, { code: "not_found", cause: new ApiError(404, problem) });
      }
      throw new ApiError(response.status, problem);
    }
  }

  private async attempt(
    method: string,
    path: string,
    options: RequestOptions,
  ): Promise<{ kind: "response"; response: Response } | { kind: "network"; error: unknown }> {
    const headers: Record<string, string> = {
      accept: "application/json, application/problem+json",
      "user-agent": this.options.userAgent ?? "miaobu-cli",
      ...options.headers,
    };
    if (options.auth !== false && this.token) headers.authorization = `Bearer ${this.token}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    const started = Date.now();
    const fetchImpl = this.options.fetch ?? fetch;
    try {
      const response = await fetchImpl(`${this.api}${path}`, {
        method,
        headers,
        body: body ?? null,
        signal: withTimeout(options.signal, options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      this.options.debug?.(`${method} ${path} → ${response.status} (${Date.now() - started}ms)`);
      return { kind: "response", response };
    } catch (error) {
      this.options.debug?.(`${method} ${path} → ${describeCause(error)}`);
      return { kind: "network", error };
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.retryBaseMs ?? 500;
    const exponential = Math.min(RETRY_CAP_MS, base * 2 ** (attempt - 1));
    return exponential / 2 + Math.random() * (exponential / 2);
  }

  private async wait(ms: number, why: string): Promise<void> {
    this.options.debug?.(`retrying in ${Math.round(ms)}ms after ${why}`);
    await (this.options.sleep ?? sleep)(ms);
  }

  /** `POST /api/v1/auth/login`. */
  login(email: string, password: string, tokenName: string) {
    return this.request<{ token: string; tokenId: string; expiresAt: string; user: User }>(
      "POST",
      "/api/v1/auth/login",
      { json: { email, password, tokenName }, auth: false },
    );
  }

  logout() {
    return this.request<undefined>("POST", "/api/v1/auth/logout");
  }

  me() {
    return this.request<{ user: User }>("GET", "/api/v1/me");
  }

  createProject(
    name: string,
    productionBranch: string | undefined,
    settings: { gitUrl?: string; rootDir?: string } = {},
  ) {
    return this.request<{ project: Project }>("POST", "/api/v1/projects", {
      json: productionBranch === undefined ? { name, ...settings } : { name, productionBranch, ...settings },
    });
  }

  /** Every project of the account, following the API's pages (100 per request). */
  async listProjects(): Promise<{ projects: Project[] }> {
    const projects: Project[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : "?limit=100";
      const page: ProjectPage = await this.request("GET", `/api/v1/projects${query}`);
      projects.push(...page.projects);
      cursor = page.nextCursor ?? null;
    } while (cursor);
    return { projects };
  }

  getProject(name: string) {
    return this.request<{ project: Project }>("GET", `/api/v1/projects/${encodeURIComponent(name)}`, {
      notFound: projectNotFound(name),
    });
  }

  deleteProject(name: string) {
    return this.request<undefined>("DELETE", `/api/v1/projects/${encodeURIComponent(name)}`, {
      notFound: projectNotFound(name),
    });
  }

  createDeployment(
    project: string,
    body: {
      branch?: string;
      commitMessage?: string;
      files: { path: string; hash: string; size: number }[];
    },
  ) {
    return this.request<CreatedDeployment>(
      "POST",
      `/api/v1/projects/${encodeURIComponent(project)}/deployments`,
      { json: body, notFound: projectNotFound(project), timeoutMs: 300_000 },
    );
  }

  finalize(deploymentId: string) {
    return this.request<{ deployment: Deployment }>(
      "POST",
      `/api/v1/deployments/${encodeURIComponent(deploymentId)}/finalize`,
      // Finalizing a ready deployment answers it again, so a retry is safe (e.g. a 503 during a sweep).
      { timeoutMs: 300_000, retry: "transient" },
    );
  }

  listDeployments(project: string, query: { limit?: number; cursor?: string }) {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    if (query.cursor) params.set("cursor", query.cursor);
    const search = params.size > 0 ? `?${params}` : "";
    return this.request<DeploymentPage>(
      "GET",
      `/api/v1/projects/${encodeURIComponent(project)}/deployments${search}`,
      { notFound: projectNotFound(project) },
    );
  }

  /** `GET /api/v1/deployments/:id/files`: the deployment and the files of its manifest. */
  listFiles(deploymentId: string) {
    return this.request<DeploymentFiles>(
      "GET",
      `/api/v1/deployments/${encodeURIComponent(deploymentId)}/files`,
      { notFound: deploymentNotFound(deploymentId), timeoutMs: 300_000 },
    );
  }

  /** `GET /api/v1/deployments/:id/files/:hash`: one file's bytes, unread; retried while nothing was read. */
  downloadFile(deploymentId: string, hash: string, signal?: AbortSignal) {
    return this.send("GET", `/api/v1/deployments/${encodeURIComponent(deploymentId)}/files/${hash}`, {
      headers: { accept: "application/octet-stream, application/problem+json" },
      retry: "transient",
      timeoutMs: 600_000,
      ...(signal ? { signal } : {}),
    });
  }

  /** `POST /api/v1/projects/:project/prune`: applies the retention policy now, or reports what it would do. */
  prune(project: string, dryRun: boolean) {
    return this.request<PruneReport>("POST", `/api/v1/projects/${encodeURIComponent(project)}/prune`, {
      json: { dryRun },
      notFound: projectNotFound(project),
      timeoutMs: 300_000,
    });
  }

  promote(deploymentId: string) {
    return this.request<RoutedDeployment>(
      "POST",
      `/api/v1/deployments/${encodeURIComponent(deploymentId)}/promote`,
      { notFound: `deployment "${deploymentId}" not found (run \`miaobu deployments <project>\`)` },
    );
  }

  rollback(project: string, deploymentId: string | undefined) {
    return this.request<RoutedDeployment>(
      "POST",
      `/api/v1/projects/${encodeURIComponent(project)}/rollback`,
      { json: deploymentId === undefined ? {} : { deploymentId } },
    );
  }

  /**
   * `POST /api/v1/projects/:project/builds`: queues a build of the project's git repository; `cache: false`
   * builds without the build cache.
   */
  triggerBuild(project: string, body: { branch?: string; commit?: string; cache?: boolean }) {
    return this.request<{ deployment: Deployment }>(
      "POST",
      `/api/v1/projects/${encodeURIComponent(project)}/builds`,
      { json: body, notFound: projectNotFound(project) },
    );
  }

  getDeployment(deploymentId: string) {
    return this.request<{ deployment: Deployment }>(
      "GET",
      `/api/v1/deployments/${encodeURIComponent(deploymentId)}`,
      { notFound: deploymentNotFound(deploymentId) },
    );
  }

  cancelDeployment(deploymentId: string) {
    return this.request<{ deployment: Deployment }>(
      "POST",
      `/api/v1/deployments/${encodeURIComponent(deploymentId)}/cancel`,
      { notFound: deploymentNotFound(deploymentId) },
    );
  }

  /** Creates or rotates the project's deploy hook; the secret URL is shown only in this answer. */
  rotateDeployHook(project: string) {
    return this.request<{ hook: { secret: string; url: string }; project: Project }>(
      "POST",
      `/api/v1/projects/${encodeURIComponent(project)}/deploy-hook`,
      { notFound: projectNotFound(project) },
    );
  }

  removeDeployHook(project: string) {
    return this.request<undefined>("DELETE", `/api/v1/projects/${encodeURIComponent(project)}/deploy-hook`, {
      notFound: projectNotFound(project),
    });
  }

  /** `DELETE /api/v1/projects/:project/cache`: deletes the project's build cache. */
  clearCache(project: string) {
    return this.request<ClearedCache>("DELETE", `/api/v1/projects/${encodeURIComponent(project)}/cache`, {
      notFound: projectNotFound(project),
    });
  }

  /** The build log as text so far, with the deployment's status (`X-Deployment-Status`). */
  async buildLog(deploymentId: string): Promise<{ text: string; status: string }> {
    const path = `/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs`;
    const outcome = await this.attempt("GET", path, { headers: { accept: "text/plain" } });
    if (outcome.kind === "network") throw new ConnectionError(this.api, outcome.error);
    const { response } = outcome;
    if (!response.ok) {
      const problem = await readProblem(response);
      if (response.status === 404) {
        throw new CliError(deploymentNotFound(deploymentId), {
          code: "not_found",
          cause: new ApiError(404, problem),
        });
      }
      throw new ApiError(response.status, problem);
    }
    return { text: await response.text(), status: response.headers.get("x-deployment-status") ?? "" };
  }

  /** `GET /api/v1/projects/:project/env`. */
  listEnv(project: string) {
    return this.request<{ variables: EnvVar[] }>(
      "GET",
      `/api/v1/projects/${encodeURIComponent(project)}/env`,
      {
        notFound: projectNotFound(project),
      },
    );
  }

  /** `PUT /api/v1/projects/:project/env/:environment/:key`. */
  setEnv(project: string, environment: string, key: string, value: string, secret: boolean) {
    const path = `/api/v1/projects/${encodeURIComponent(project)}/env/${environment}/${encodeURIComponent(key)}`;
    return this.request<{ variable: EnvVar }>("PUT", path, {
      json: { value, secret },
      notFound: projectNotFound(project),
    });
  }

  /** `DELETE /api/v1/projects/:project/env/:environment/:key`; 404 when the variable is not set. */
  unsetEnv(project: string, environment: string, key: string) {
    const path = `/api/v1/projects/${encodeURIComponent(project)}/env/${environment}/${encodeURIComponent(key)}`;
    return this.request<undefined>("DELETE", path);
  }

  /** `GET /api/v1/projects/:project/domains`. */
  listDomains(project: string) {
    return this.request<{ domains: Domain[] }>(
      "GET",
      `/api/v1/projects/${encodeURIComponent(project)}/domains`,
      {
        notFound: projectNotFound(project),
      },
    );
  }

  /** `POST /api/v1/projects/:project/domains`. */
  addDomain(project: string, hostname: string, deploymentId?: string) {
    return this.request<{ domain: Domain }>(
      "POST",
      `/api/v1/projects/${encodeURIComponent(project)}/domains`,
      {
        json: deploymentId ? { hostname, deploymentId } : { hostname },
        notFound: projectNotFound(project),
      },
    );
  }

  /** `POST /api/v1/projects/:project/domains/:hostname/verify`: checks the DNS now. */
  verifyDomain(project: string, hostname: string) {
    const path = `/api/v1/projects/${encodeURIComponent(project)}/domains/${encodeURIComponent(hostname)}/verify`;
    return this.request<{ domain: Domain }>("POST", path, {
      notFound: `No domain ${hostname} in project ${project}. See \`miaobu domains list ${project}\`.`,
    });
  }

  /** `GET` (status), `POST` (issue or renew now) `/api/v1/projects/:project/domains/:hostname/certificate`. */
  certificate(project: string, hostname: string, issue: boolean) {
    const path = `/api/v1/projects/${encodeURIComponent(project)}/domains/${encodeURIComponent(hostname)}/certificate`;
    return this.request<{ certificate: Certificate | null }>(issue ? "POST" : "GET", path, {
      notFound: `No domain ${hostname} in project ${project}. See \`miaobu domains list ${project}\`.`,
      timeoutMs: 120_000,
    });
  }

  /** `GET …/certificate/download`: the chain and the private key, PEM. */
  downloadCertificate(project: string, hostname: string) {
    const path = `/api/v1/projects/${encodeURIComponent(project)}/domains/${encodeURIComponent(hostname)}/certificate/download`;
    return this.request<{ certificate: string; privateKey: string; expiresAt: string | null }>("GET", path, {
      notFound: `${hostname} has no issued certificate (or is not a domain of ${project}).`,
    });
  }

  /** `DELETE /api/v1/projects/:project/domains/:hostname`. */
  removeDomain(project: string, hostname: string) {
    const path = `/api/v1/projects/${encodeURIComponent(project)}/domains/${encodeURIComponent(hostname)}`;
    return this.request<undefined>("DELETE", path, {
      notFound: `No domain ${hostname} in project ${project}. See \`miaobu domains list ${project}\`.`,
    });
  }

  listTokens() {
    return this.request<{ tokens: TokenInfo[] }>("GET", "/api/v1/tokens");
  }

  /** `POST /api/v1/tokens`: the secret is in this answer only. */
  createToken(body: { name: string; scopes: string[]; expiresInDays: number }) {
    return this.request<TokenInfo & { token: string }>("POST", "/api/v1/tokens", { json: body });
  }

  revokeToken(id: string) {
    return this.request<undefined>("DELETE", `/api/v1/tokens/${encodeURIComponent(id)}`, {
      notFound: `token "${id}" not found (run \`miaobu tokens list\`)`,
    });
  }

  /** The WebSocket URL of a build log and the headers that authenticate it. */
  logSocket(deploymentId: string, after: number): { url: string; headers: Record<string, string> } {
    const url = `${this.api.replace(/^http/, "ws")}/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs/ws?after=${after}`;
    return { url, headers: this.token ? { authorization: `Bearer ${this.token}` } : {} };
  }
}

/** The 404 line for a deployment looked up by id. */
export function deploymentNotFound(id: string): string {
  return `deployment "${id}" not found (run \`miaobu deployments <project>\`)`;
}

/** The 404 line for a project looked up by name. */
export function projectNotFound(name: string): string {
  return `project "${name}" not found (run \`miaobu projects list\`)`;
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`the API answered ${response.status} with a body that is not JSON`, {
      code: "bad_response",
    });
  }
}

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => "");
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Problem;
  } catch {
    // Not JSON: a proxy or a crash page. Describe it by its status.
  }
  const reason = response.statusText ? ` ${response.statusText}` : "";
  return { status: response.status, title: `the API answered ${response.status}${reason}` };
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(RETRY_CAP_MS * 2, Math.max(0, seconds * 1000));
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.min(RETRY_CAP_MS * 2, Math.max(0, date - now));
}

function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause as { code?: string; message?: string } | undefined;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
