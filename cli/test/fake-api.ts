// An in-test HTTP server speaking the contract of docs/api.md, for the parts the CLI uses. The real API
// is another component; this one keeps its state in memory and records what the CLI sent.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const PASSWORD = "correct horse";
export const EMAIL = "admin@localhost";
export const EXPIRED_TOKEN = "mb_expired";

interface FakeProject {
  id: string;
  name: string;
  productionBranch: string;
  productionDeploymentId: string | null;
  previousProductionIds: string[];
  createdAt: string;
  blobs: Set<string>;
  /** Serving settings as PATCH last set them (previewPassword is kept only as previewProtected). */
  settings: Record<string, unknown>;
}

interface FakeDeployment {
  id: string;
  shortId: string;
  projectId: string;
  branch: string;
  status: "uploading" | "ready";
  commitMessage: string | null;
  files: { path: string; hash: string; size: number }[];
  createdAt: string;
  readyAt: string | null;
  rulesReport: { file: string; line: number; message: string }[];
}

/** One blob that reached the server, and how. */
export interface ReceivedBlob {
  hash: string;
  size: number;
  via: "put" | "multipart";
}

export interface Limits {
  maxFileBytes: number;
  maxFiles: number;
  maxBatchBytes: number;
  maxBatchFiles: number;
}

export class FakeApi {
  url = "";
  limits: Limits = {
    maxFileBytes: 25 * 1024 * 1024,
    maxFiles: 20_000,
    maxBatchBytes: 64 * 1024,
    maxBatchFiles: 3,
  };
  readonly requests: { method: string; path: string; status: number }[] = [];
  readonly received: ReceivedBlob[] = [];
  readonly manifests: FakeDeployment["files"][] = [];
  /** Answers the next upload requests with these statuses before handling them (transient failures). */
  failUploads: number[] = [];
  /** On the next finalize, forget this many of the deployment's blobs, so finalize answers missing_blobs. */
  loseBlobsOnFinalize = 0;
  /** The rules report the next finalize answers with (the real API parses _redirects and _headers). */
  nextRulesReport: { file: string; line: number; message: string }[] = [];
  /** The bodies of PATCH /api/v1/projects/:project, in order. */
  readonly patches: Record<string, unknown>[] = [];
  private readonly tokens = new Map<string, { revoked: boolean }>();
  private readonly projects = new Map<string, FakeProject>();
  private readonly deployments = new Map<string, FakeDeployment>();
  private server: Server | undefined;
  private sequence = 0;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.problem(response, 500, "internal", String(error));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Issues a token directly, as if `login` had run. */
  issueToken(): string {
    const token = `mb_${randomBytes(12).toString("hex")}`;
    this.tokens.set(token, { revoked: false });
    return token;
  }

  isRevoked(token: string): boolean {
    return this.tokens.get(token)?.revoked ?? false;
  }

  /** Pretends the project already stores these contents. */
  seedBlobs(projectName: string, contents: string[]): void {
    const project = this.projects.get(projectName);
    if (!project) throw new Error(`no project ${projectName}`);
    for (const content of contents) project.blobs.add(sha256(Buffer.from(content)));
  }

  addProject(name: string): void {
    this.projects.set(name, {
      id: this.id("prj"),
      name,
      productionBranch: "main",
      productionDeploymentId: null,
      previousProductionIds: [],
      createdAt: new Date().toISOString(),
      blobs: new Set(),
      settings: {},
    });
  }

  uploadRequests(): { method: string; path: string; status: number }[] {
    return this.requests.filter((r) => r.path.includes("/blobs"));
  }

  private id(prefix: string): string {
    this.sequence += 1;
    return `${prefix}_${String(this.sequence).padStart(6, "0")}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake");
    const method = request.method ?? "GET";
    const path = url.pathname;
    const body = await readAll(request);
    response.on("finish", () => this.requests.push({ method, path, status: response.statusCode }));
    response.setHeader("x-request-id", `req_${this.sequence}`);

    if (method === "POST" && path === "/api/v1/auth/login") return this.login(response, body);

    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (token === EXPIRED_TOKEN) {
      return this.problem(response, 401, "token_expired", "The token expired: log in again.");
    }
    if (!token || !this.tokens.has(token) || this.tokens.get(token)?.revoked) {
      return this.problem(response, 401, "unauthorized", "Missing or invalid token.");
    }

    const projectRoute = /^\/api\/v1\/projects\/([^/]+)(\/deployments|\/rollback)?$/.exec(path);
    const deploymentRoute =
      /^\/api\/v1\/deployments\/([^/]+)\/(blobs|finalize|promote)(?:\/([0-9a-f]+))?$/.exec(path);
    if (method === "POST" && path === "/api/v1/auth/logout") {
      this.tokens.set(token, { revoked: true });
      response.writeHead(204).end();
      return;
    }
    if (method === "GET" && path === "/api/v1/me") {
      return json(response, 200, { user: { id: "usr_1", email: EMAIL, name: "Admin" } });
    }
    if (path === "/api/v1/projects") {
      if (method === "POST") return this.createProject(response, body);
      // Pages of at most two, whatever the limit asked, so the CLI's page-following is exercised.
      const all = [...this.projects.values()].reverse().map((p) => this.projectJson(p));
      const start = Number(url.searchParams.get("cursor") ?? "0");
      const end = start + Math.min(2, Number(url.searchParams.get("limit") ?? "50"));
      const nextCursor = end < all.length ? String(end) : null;
      return json(response, 200, { projects: all.slice(start, end), nextCursor });
    }
    if (projectRoute && projectRoute[2] === undefined) {
      const project = this.projects.get(decodeURIComponent(projectRoute[1] ?? ""));
      if (!project) return this.notFound(response, "project");
      if (method === "GET") return json(response, 200, { project: this.projectJson(project) });
      if (method === "PATCH") {
        const patch = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
        this.patches.push(patch);
        const { previewPassword, ...rest } = patch;
        Object.assign(project.settings, rest);
        if (previewPassword !== undefined) project.settings.previewProtected = previewPassword !== null;
        return json(response, 200, { project: this.projectJson(project) });
      }
      if (method === "DELETE") {
        this.projects.delete(project.name);
        response.writeHead(204).end();
        return;
      }
    }
    if (projectRoute && projectRoute[2] === "/deployments") {
      const project = this.projects.get(decodeURIComponent(projectRoute[1] ?? ""));
      if (!project) return this.notFound(response, "project");
      if (method === "POST") return this.createDeployment(response, project, body);
      const list = [...this.deployments.values()].filter((d) => d.projectId === project.id).reverse();
      return json(response, 200, { deployments: list.map((d) => this.deploymentJson(d)), nextCursor: null });
    }
    if (projectRoute && projectRoute[2] === "/rollback" && method === "POST") {
      const project = this.projects.get(decodeURIComponent(projectRoute[1] ?? ""));
      if (!project) return this.notFound(response, "project");
      const wanted = (JSON.parse(body.toString() || "{}") as { deploymentId?: string }).deploymentId;
      const target = wanted ?? project.previousProductionIds.at(-1);
      const deployment = target ? this.deployments.get(target) : undefined;
      if (!deployment)
        return this.problem(response, 409, "conflict", "There is no earlier deployment to roll back to.");
      project.productionDeploymentId = deployment.id;
      return json(response, 200, {
        deployment: this.deploymentJson(deployment),
        project: this.projectJson(project),
      });
    }
    if (deploymentRoute) {
      const match = deploymentRoute;
      const deployment = this.deployments.get(match[1] ?? "");
      if (!deployment) return this.notFound(response, "deployment");
      const project = [...this.projects.values()].find((p) => p.id === deployment.projectId);
      if (!project) return this.notFound(response, "project");
      if (match[2] === "blobs")
        return this.upload(request, response, method, deployment, project, body, match[3]);
      if (match[2] === "finalize" && method === "POST") return this.finalize(response, deployment, project);
      if (match[2] === "promote" && method === "POST") {
        if (project.productionDeploymentId)
          project.previousProductionIds.push(project.productionDeploymentId);
        project.productionDeploymentId = deployment.id;
        return json(response, 200, {
          deployment: this.deploymentJson(deployment),
          project: this.projectJson(project),
        });
      }
    }
    return this.problem(response, 404, "not_found", `No route ${method} ${path}.`);
  }

  private login(response: ServerResponse, body: Buffer) {
    const input = JSON.parse(body.toString()) as { email?: string; password?: string };
    if (input.email !== EMAIL || input.password !== PASSWORD) {
      return this.problem(response, 401, "invalid_credentials", "Wrong email or password.");
    }
    const token = this.issueToken();
    return json(response, 201, {
      token,
      tokenId: this.id("tok"),
      expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
      user: { id: "usr_1", email: EMAIL, name: "Admin" },
    });
  }

  private createProject(response: ServerResponse, body: Buffer) {
    const input = JSON.parse(body.toString()) as { name: string; productionBranch?: string };
    const name = input.name.trim().toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(name) || name.includes("--")) {
      return this.problem(response, 422, "invalid_input", "The project name is not valid.", {
        errors: [{ field: "name", message: "use 1-40 characters of a-z, 0-9 and '-'" }],
      });
    }
    if (this.projects.has(name)) {
      return this.problem(response, 409, "conflict", `A project named "${name}" already exists.`);
    }
    this.addProject(name);
    const project = this.projects.get(name);
    if (project && input.productionBranch) project.productionBranch = input.productionBranch;
    return json(response, 201, { project: project && this.projectJson(project) });
  }

  private createDeployment(response: ServerResponse, project: FakeProject, body: Buffer) {
    const input = JSON.parse(body.toString()) as {
      branch?: string;
      commitMessage?: string;
      files: { path: string; hash: string; size: number }[];
    };
    const bad = input.files.filter(
      (file) => file.path.startsWith("/") || file.path.split("/").includes(".."),
    );
    if (bad.length > 0) {
      return this.problem(response, 422, "invalid_input", "Some paths are not safe.", {
        errors: bad.map((file) => ({ field: `files[${input.files.indexOf(file)}].path`, message: "unsafe" })),
      });
    }
    const id = this.id("dpl");
    const deployment: FakeDeployment = {
      id,
      shortId: id.slice(-8).replace("_", "x"),
      projectId: project.id,
      branch: input.branch ?? project.productionBranch,
      status: "uploading",
      commitMessage: input.commitMessage ?? null,
      files: input.files,
      createdAt: new Date().toISOString(),
      readyAt: null,
      rulesReport: [],
    };
    this.deployments.set(id, deployment);
    this.manifests.push(input.files);
    const missing = [...new Set(input.files.map((f) => f.hash))].filter((hash) => !project.blobs.has(hash));
    return json(response, 201, { deployment: this.deploymentJson(deployment), missing, limits: this.limits });
  }

  private async upload(
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    deployment: FakeDeployment,
    project: FakeProject,
    body: Buffer,
    hash: string | undefined,
  ) {
    const failure = this.failUploads.shift();
    if (failure !== undefined) {
      response.setHeader("retry-after", "0");
      return this.problem(response, failure, failure === 429 ? "rate_limited" : "internal", "Try again.");
    }
    if (deployment.status !== "uploading") return this.problem(response, 409, "conflict", "Not uploading.");
    const wanted = new Set(deployment.files.map((file) => file.hash));
    const accept = (blobHash: string, bytes: Buffer, via: ReceivedBlob["via"]): string | undefined => {
      if (sha256(bytes) !== blobHash) return `the body of ${blobHash} does not hash to it`;
      if (!wanted.has(blobHash)) return `${blobHash} is not in this deployment`;
      project.blobs.add(blobHash);
      this.received.push({ hash: blobHash, size: bytes.length, via });
      return undefined;
    };
    if (method === "PUT" && hash) {
      if (request.headers["content-type"] !== "application/octet-stream") {
        return this.problem(response, 415, "unsupported_media_type", "Send application/octet-stream.");
      }
      const problem = accept(hash, body, "put");
      if (problem) return this.problem(response, 422, "hash_mismatch", problem);
      return json(response, 201, { hash, size: body.length });
    }
    if (method === "POST" && !hash) {
      if (body.length > this.limits.maxBatchBytes) {
        return this.problem(response, 413, "payload_too_large", "The batch is too large.");
      }
      const type = request.headers["content-type"] ?? "";
      const form = await new Response(body, { headers: { "content-type": type } }).formData();
      const parts = [...form.entries()];
      if (parts.length > this.limits.maxBatchFiles) {
        return this.problem(response, 413, "payload_too_large", "Too many parts.");
      }
      const uploaded: string[] = [];
      for (const [name, value] of parts) {
        if (typeof value === "string")
          return this.problem(response, 400, "bad_request", "A part is not a file.");
        const problem = accept(name, Buffer.from(await value.arrayBuffer()), "multipart");
        if (problem) return this.problem(response, 422, "hash_mismatch", problem);
        uploaded.push(name);
      }
      return json(response, 201, { uploaded });
    }
    return this.problem(response, 404, "not_found", "No such route.");
  }

  private finalize(response: ServerResponse, deployment: FakeDeployment, project: FakeProject) {
    if (this.loseBlobsOnFinalize > 0) {
      const hashes = [...new Set(deployment.files.map((file) => file.hash))].slice(
        0,
        this.loseBlobsOnFinalize,
      );
      for (const hash of hashes) project.blobs.delete(hash);
      this.loseBlobsOnFinalize = 0;
    }
    const missing = [...new Set(deployment.files.map((file) => file.hash))].filter(
      (h) => !project.blobs.has(h),
    );
    if (missing.length > 0) {
      return this.problem(response, 422, "missing_blobs", `${missing.length} files were not uploaded.`, {
        missing: missing.map((hash) => ({
          hash,
          paths: deployment.files.filter((file) => file.hash === hash).map((file) => `/${file.path}`),
        })),
      });
    }
    deployment.status = "ready";
    deployment.readyAt = new Date().toISOString();
    deployment.rulesReport = this.nextRulesReport;
    this.nextRulesReport = [];
    if (deployment.branch === project.productionBranch) {
      if (project.productionDeploymentId) project.previousProductionIds.push(project.productionDeploymentId);
      project.productionDeploymentId = deployment.id;
    }
    return json(response, 200, { deployment: this.deploymentJson(deployment) });
  }

  private projectJson(project: FakeProject) {
    return {
      id: project.id,
      name: project.name,
      productionBranch: project.productionBranch,
      productionDeploymentId: project.productionDeploymentId,
      productionUrl: `http://${project.name}.localhost:8788`,
      createdAt: project.createdAt,
      updatedAt: project.createdAt,
      htmlHandling: "auto-trailing-slash",
      notFoundHandling: "auto",
      skewProtectionDays: 7,
      previewProtected: false,
      ...project.settings,
    };
  }

  private deploymentJson(deployment: FakeDeployment) {
    const project = [...this.projects.values()].find((p) => p.id === deployment.projectId);
    const name = project?.name ?? "unknown";
    const isProduction = project?.productionDeploymentId === deployment.id;
    const aliases =
      deployment.status === "ready"
        ? [
            ...(isProduction ? [`http://${name}.localhost:8788`] : []),
            `http://${deployment.branch}--${name}.localhost:8788`,
          ]
        : [];
    return {
      id: deployment.id,
      shortId: deployment.shortId,
      projectId: deployment.projectId,
      project: name,
      status: deployment.status,
      environment: deployment.branch === project?.productionBranch ? "production" : "preview",
      branch: deployment.branch,
      commitSha: null,
      commitMessage: deployment.commitMessage,
      source: "cli",
      fileCount: deployment.files.length,
      totalBytes: deployment.files.reduce((sum, file) => sum + file.size, 0),
      url: `http://${deployment.shortId}--${name}.localhost:8788`,
      aliases,
      isProduction,
      createdAt: deployment.createdAt,
      readyAt: deployment.readyAt,
      errorMessage: null,
      rulesReport: deployment.rulesReport,
    };
  }

  private notFound(response: ServerResponse, what: string) {
    return this.problem(response, 404, "not_found", `No such ${what}.`);
  }

  private problem(
    response: ServerResponse,
    status: number,
    code: string,
    detail: string,
    extra: object = {},
  ) {
    response.writeHead(status, { "content-type": "application/problem+json" });
    response.end(
      JSON.stringify({
        type: `https://miaobu.dev/problems/${code}`,
        title: code,
        status,
        code,
        detail,
        requestId: `req_${this.sequence}`,
        ...extra,
      }),
    );
  }
}

/** SHA-256 hex of some bytes. */
export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
