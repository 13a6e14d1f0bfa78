import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { freeBuildSlots, report, startOf } from "./build-helpers.ts";
import {
  deliver,
  example,
  forRepo,
  type GitHubRecord,
  githubLinkedUser,
  githubRecords,
  registerRepo,
} from "./github-helpers.ts";
import { api, expectProblem, uniqueName } from "./helpers.ts";

afterEach(freeBuildSlots);

interface Outcome {
  event: string;
  result: string;
  deployments: string[];
}

let repo: { id: number; fullName: string };
let projectA: { id: string; name: string };
let projectB: { id: string; name: string };
let token: string;

async function deploymentsOf(projectId: string) {
  const { results } = await env.DB.prepare(
    "select id, branch, environment, source, commit_sha, pull_request, status from deployments where project_id = ? order by id",
  )
    .bind(projectId)
    .all<{
      id: string;
      branch: string;
      environment: string;
      source: string;
      commit_sha: string;
      pull_request: number | null;
      status: string;
    }>();
  return results;
}

/** GitHub calls matching `pick`, waiting a little for work done after the answer (waitUntil). */
async function eventually(pick: (r: GitHubRecord) => boolean, count = 1): Promise<GitHubRecord[]> {
  for (let i = 0; i < 50; i += 1) {
    const found = (await githubRecords()).filter(pick);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  return (await githubRecords()).filter(pick);
}

const pushExample = () =>
  forRepo(
    example("push", (p) => p.ref === "refs/heads/master" && p.head_commit !== null),
    repo,
  );

beforeAll(async () => {
  const alice = await githubLinkedUser();
  token = alice.token;
  repo = await registerRepo(`acme/hooks-${uniqueName()}`, { default_branch: "master" });
  const a = await api("/api/v1/github/import", {
    token,
    json: { repository: repo.fullName, name: uniqueName("a") },
  });
  const b = await api("/api/v1/github/import", {
    token,
    json: { repository: repo.fullName, name: uniqueName("b"), rootDir: "docs" },
  });
  projectA = (await a.json<{ project: { id: string; name: string } }>()).project;
  projectB = (await b.json<{ project: { id: string; name: string } }>()).project;
});

describe("signatures and deliveries", () => {
  it("refuses a missing or wrong signature with 401 and queues nothing", async () => {
    const payload = pushExample();
    await expectProblem(await deliver("push", payload, { signature: null }), 401, "unauthorized");
    await expectProblem(
      await deliver("push", payload, { signature: `sha256=${"0".repeat(64)}` }),
      401,
      "unauthorized",
    );
    await expectProblem(await deliver("push", payload, { secret: "another-secret" }), 401, "unauthorized");
    expect(await deploymentsOf(projectA.id)).toEqual([]);
    const recorded = await env.DB.prepare("select count(*) as n from webhook_deliveries").first<{
      n: number;
    }>();
    expect(recorded?.n).toBe(0);
  });

  it("answers ping", async () => {
    const res = await deliver(
      "ping",
      example("ping", () => true),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ event: "ping", result: "pong" });
  });

  it("ignores an event it does not act on, and needs the delivery header", async () => {
    const res = await deliver("issues", { action: "opened", repository: { id: repo.id } });
    expect(res.status).toBe(200);
    expect((await res.json<Outcome>()).result).toContain("ignored");
    await expectProblem(await deliver("push", pushExample(), { delivery: "" }), 400, "bad_request");
  });
});

describe("push", () => {
  it("to the production branch deploys production in every project of the repository, once per delivery", async () => {
    const payload = pushExample();
    const delivery = crypto.randomUUID();
    const res = await deliver("push", payload, { delivery });
    expect(res.status).toBe(202);
    const outcome = await res.json<Outcome>();
    expect(outcome.deployments).toHaveLength(2);
    for (const project of [projectA, projectB]) {
      const rows = await deploymentsOf(project.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        branch: "master",
        environment: "production",
        source: "github",
        commit_sha: payload.after,
      });
    }
    // The same delivery again does nothing.
    const again = await deliver("push", payload, { delivery });
    expect(again.status).toBe(200);
    expect((await again.json<Outcome>()).result).toContain("duplicate");
    expect(await deploymentsOf(projectA.id)).toHaveLength(1);
    // A pending commit status per project, with the owner's token.
    const statuses = await eventually(
      (r) => r.path === `/repos/${repo.fullName}/statuses/${payload.after}`,
      2,
    );
    expect(statuses.map((s) => (s.body as { context: string }).context).sort()).toEqual(
      [`miaobu/${projectA.name}`, `miaobu/${projectB.name}`].sort(),
    );
    expect(statuses[0]?.body).toMatchObject({ state: "pending" });

    // When the build ends, the status says so.
    const [rowA] = await deploymentsOf(projectA.id);
    const start = await startOf(rowA?.id ?? "");
    await report(start.callback.token, rowA?.id ?? "", { status: "failed", error: "boom" });
    const failure = await eventually(
      (r) => r.path.includes("/statuses/") && (r.body as { state: string }).state === "failure",
    );
    expect(failure[0]?.body).toMatchObject({
      context: `miaobu/${projectA.name}`,
      description: "The build failed",
    });
  });

  it("to another branch deploys a preview; tags and [skip ci] are ignored", async () => {
    const feature = pushExample();
    feature.ref = "refs/heads/feature/login";
    feature.after = "1111111111111111111111111111111111111111";
    expect((await deliver("push", feature)).status).toBe(202);
    const rows = (await deploymentsOf(projectA.id)).filter((r) => r.branch === "feature/login");
    expect(rows).toMatchObject([{ environment: "preview" }]);

    const before = (await deploymentsOf(projectA.id)).length;
    const tag = forRepo(
      example("push", (p) => p.ref === "refs/tags/simple-tag" && p.deleted === false),
      repo,
    );
    const tagged = await deliver("push", tag);
    expect((await tagged.json<Outcome>()).result).toBe("ignored: not a branch");
    const skip = pushExample();
    skip.ref = "refs/heads/skipped";
    (skip.head_commit as { message: string }).message = "docs: typo [skip ci]";
    expect((await (await deliver("push", skip)).json<Outcome>()).result).toBe(
      "skipped by the commit message",
    );
    const miaobuSkip = pushExample();
    miaobuSkip.ref = "refs/heads/skipped";
    (miaobuSkip.head_commit as { message: string }).message = "wip\n\n[miaobu skip]";
    expect((await (await deliver("push", miaobuSkip)).json<Outcome>()).result).toBe(
      "skipped by the commit message",
    );
    expect(await deploymentsOf(projectA.id)).toHaveLength(before);
  });

  it("deleting a branch removes its alias and never errors", async () => {
    const host = `gone--${projectA.name}.localhost`;
    await env.DB.prepare(
      "insert into routes (hostname, project_id, deployment_id, kind, branch, updated_at) values (?, ?, 'dpl_x', 'branch', 'gone', 0)",
    )
      .bind(host, projectA.id)
      .run();
    const deleted = forRepo(
      example("push", (p) => p.deleted === true),
      repo,
    );
    deleted.ref = "refs/heads/gone";
    const res = await deliver("push", deleted);
    expect(res.status).toBe(200);
    expect((await res.json<Outcome>()).result).toContain("deleted");
    const route = await env.DB.prepare("select hostname from routes where hostname = ?").bind(host).first();
    expect(route).toBeNull();
    // A branch that never had an alias, and a repository nobody imported, are fine too.
    deleted.ref = "refs/heads/never-built";
    expect((await deliver("push", deleted)).status).toBe(200);
    const stranger = forRepo(
      example("push", (p) => p.deleted === true),
      { id: 1, fullName: "x/y" },
    );
    expect((await deliver("push", stranger)).status).toBe(200);
  });
});

describe("pull_request", () => {
  const pr = (action: string) =>
    forRepo(
      example("pull_request", (p) => p.action === action),
      repo,
    );

  it("opened and synchronize deploy previews with one comment edited in place; closed removes the alias", async () => {
    const opened = pr("opened");
    const number = opened.number as number;
    const head = (opened.pull_request as { head: { ref: string; sha: string } }).head;
    expect((await deliver("pull_request", opened)).status).toBe(202);
    const rows = (await deploymentsOf(projectA.id)).filter((r) => r.pull_request === number);
    expect(rows).toMatchObject([{ branch: head.ref, environment: "preview", commit_sha: head.sha }]);
    const commentPath = `/repos/${repo.fullName}/issues/${number}/comments`;
    const posted = await eventually((r) => r.method === "POST" && r.path === commentPath, 2);
    expect(JSON.stringify(posted[0]?.body)).toContain("<!-- miaobu:");

    const sync = pr("synchronize");
    (sync.pull_request as { head: { sha: string } }).head.sha = "2222222222222222222222222222222222222222";
    expect((await deliver("pull_request", sync)).status).toBe(202);
    const edits = await eventually(
      (r) => r.method === "PATCH" && r.path.startsWith(`/repos/${repo.fullName}/issues/comments/`),
      2,
    );
    expect(edits.length).toBeGreaterThanOrEqual(2);
    // Still one comment per project: no new POSTs.
    expect((await githubRecords()).filter((r) => r.method === "POST" && r.path === commentPath)).toHaveLength(
      2,
    );

    const host = `${head.ref}--${projectA.name}.localhost`;
    await env.DB.prepare(
      "insert or replace into routes (hostname, project_id, deployment_id, kind, branch, updated_at) values (?, ?, 'dpl_x', 'branch', ?, 0)",
    )
      .bind(host, projectA.id, head.ref)
      .run();
    const closed = await deliver("pull_request", pr("closed"));
    expect(closed.status).toBe(200);
    expect(await env.DB.prepare("select 1 from routes where hostname = ?").bind(host).first()).toBeNull();
  });

  it("ignores other actions and fork pull requests unless the project allows them", async () => {
    expect((await (await deliver("pull_request", pr("labeled"))).json<Outcome>()).result).toBe(
      "ignored: action labeled",
    );
    const fork = pr("reopened");
    const headRepo = (fork.pull_request as { head: { repo: { id: number } } }).head.repo;
    headRepo.id = 99;
    const off = await deliver("pull_request", fork);
    expect((await off.json<Outcome>()).result).toContain("fork pull requests are off");
    await env.DB.prepare("update projects set github_fork_pull_requests = 1 where id = ?")
      .bind(projectB.id)
      .run();
    const on = await deliver("pull_request", fork);
    expect(on.status).toBe(202);
    const rows = await deploymentsOf(projectB.id);
    expect(rows.at(-1)).toMatchObject({ branch: `pr-${fork.number}`, environment: "preview" });
  });
});
