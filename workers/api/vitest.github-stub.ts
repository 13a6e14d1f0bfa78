// Runs in Node, in vitest's own process: a stand-in for GitHub (a third-party SaaS) that speaks its REST wire
// format for the calls Miaobu makes, with repository objects taken from the recorded payloads of
// @octokit/webhooks-examples. Tests register repositories (`POST /__repos`) and read back what Miaobu sent
// (`GET /__requests`).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";

interface Definition {
  name: string;
  examples: Record<string, unknown>[];
}

const require = createRequire(import.meta.url);

/** The recorded webhook payloads of GitHub's own documentation, by event. */
export function webhookExamples(): Record<string, Record<string, unknown>[]> {
  const all = require("@octokit/webhooks-examples") as Definition[];
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const name of ["push", "pull_request", "ping"]) {
    out[name] = all.find((d) => d.name === name)?.examples ?? [];
  }
  return out;
}

interface StubRepo {
  id: number;
  full_name: string;
  default_branch: string;
  hooksForbidden?: boolean;
}

export interface GitHubRecord {
  method: string;
  path: string;
  authorization: string;
  body: unknown;
}

/** Starts the stand-in on a free loopback port and returns its URL. */
export async function startGitHubStub(clientId: string, clientSecret: string): Promise<string> {
  const template = (webhookExamples().push?.[0]?.repository ?? {}) as Record<string, unknown>;
  const repos = new Map<string, StubRepo>();
  const hooks = new Map<string, { id: number; url: string }[]>();
  const comments = new Map<number, string>();
  const records: GitHubRecord[] = [];
  let nextId = 1000;

  const repoJson = (r: StubRepo) => {
    const [owner = "", name = ""] = r.full_name.split("/");
    return {
      ...template,
      id: r.id,
      name,
      full_name: r.full_name,
      private: false,
      fork: false,
      html_url: `https://github.com/${r.full_name}`,
      clone_url: `https://github.com/${r.full_name}.git`,
      default_branch: r.default_branch,
      owner: { ...(template.owner as object), login: owner },
    };
  };
  const userOf = (auth: string) => {
    // Tokens are `gho_{id}_{login}`, minted from codes `{id}_{login}`.
    const match = /^Bearer gho_(\d+)_(\S+)$/.exec(auth);
    return match ? { id: Number(match[1]), login: match[2] ?? "" } : null;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stub");
      const method = req.method ?? "GET";
      const body: unknown = text ? JSON.parse(text) : null;
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(value));
      };
      const notFound = () =>
        send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
      const path = url.pathname;
      if (path === "/__requests") return send(200, records);
      if (path === "/__repos" && method === "POST") {
        const r = body as StubRepo;
        repos.set(r.full_name.toLowerCase(), r);
        return send(201, repoJson(r));
      }
      records.push({
        method,
        path: `${path}${url.search}`,
        authorization: req.headers.authorization ?? "",
        body,
      });
      if (path === "/login/oauth/access_token" && method === "POST") {
        const { client_id, client_secret, code } = body as Record<string, string>;
        if (client_id !== clientId || client_secret !== clientSecret) {
          return send(200, { error: "incorrect_client_credentials" });
        }
        if (!/^\d+_\w+$/.test(code ?? "")) return send(200, { error: "bad_verification_code" });
        return send(200, {
          access_token: `gho_${code}`,
          token_type: "bearer",
          scope: "repo,read:org,user:email",
        });
      }
      const user = userOf(req.headers.authorization ?? "");
      if (!user)
        return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      if (path === "/user") {
        return send(200, { login: user.login, id: user.id, type: "User", name: null, email: null });
      }
      if (path === "/user/emails") {
        const email = `${user.login}@users.example.com`;
        return send(200, [{ email, primary: true, verified: true, visibility: "private" }]);
      }
      if (path === "/user/orgs") return send(200, [{ login: "acme", id: 1 }]);
      if (path === "/user/repos") return send(200, [...repos.values()].map(repoJson));
      if (path === "/search/repositories") {
        const term = (url.searchParams.get("q") ?? "").split(" ")[0]?.toLowerCase() ?? "";
        const items = [...repos.values()]
          .filter((r) => r.full_name.toLowerCase().includes(term))
          .map(repoJson);
        return send(200, { total_count: items.length, incomplete_results: false, items });
      }
      const repoMatch = /^\/repos\/([^/]+\/[^/]+)(\/.*)?$/.exec(path);
      const repo = repoMatch ? repos.get((repoMatch[1] ?? "").toLowerCase()) : undefined;
      if (!repoMatch || !repo) return notFound();
      const rest = repoMatch[2] ?? "";
      if (rest === "" && method === "GET") return send(200, repoJson(repo));
      if (rest === "/hooks") {
        if (repo.hooksForbidden) return notFound();
        const list = hooks.get(repo.full_name) ?? [];
        const json = (h: { id: number; url: string }) => ({
          type: "Repository",
          id: h.id,
          name: "web",
          active: true,
          events: ["push", "pull_request"],
          config: { content_type: "json", insecure_ssl: "0", url: h.url },
        });
        if (method === "GET") return send(200, list.map(json));
        const hookUrl = (body as { config: { url: string } }).config.url;
        if (list.some((h) => h.url === hookUrl)) {
          return send(422, {
            message: "Validation Failed",
            errors: [{ resource: "Hook", code: "custom", message: "Hook already exists on this repository" }],
          });
        }
        const hook = { id: nextId++, url: hookUrl };
        hooks.set(repo.full_name, [...list, hook]);
        return send(201, json(hook));
      }
      if (/^\/statuses\/[0-9a-f]{7,64}$/.test(rest) && method === "POST") {
        return send(201, { id: nextId++, ...(body as object), creator: { login: user.login } });
      }
      const newComment = /^\/issues\/(\d+)\/comments$/.exec(rest);
      if (newComment && method === "POST") {
        const id = nextId++;
        comments.set(id, (body as { body: string }).body);
        return send(201, { id, body: comments.get(id), user: { login: user.login } });
      }
      const editComment = /^\/issues\/comments\/(\d+)$/.exec(rest);
      if (editComment && method === "PATCH") {
        const id = Number(editComment[1]);
        if (!comments.has(id)) return notFound();
        comments.set(id, (body as { body: string }).body);
        return send(200, { id, body: comments.get(id) });
      }
      return notFound();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
