// Export and retention end to end: a folder deployed through the CLI comes back byte for byte with
// `deployments download`; with a retention policy, `deployments prune` reports (dry run) and then deletes old
// deployments, whose own URL answers 410 while production keeps serving every file.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectSiteBody,
  getSite,
  loginAdmin,
  runCli,
  startTestPlatform,
  type TestPlatform,
  writeSite,
} from "../support/platform.ts";

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform();
  await loginAdmin(t);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

interface DeployJson {
  id: string;
  shortId: string;
  url: string;
  environment: string;
}

interface PruneJson {
  project: string;
  dryRun: boolean;
  kept: { id: string; shortId: string; reason: string }[];
  deleted: { id: string; shortId: string; environment: string; branch: string; createdAt: string }[];
  blobs: { deleted: number; bytes: number };
}

const project = "export-site";
const logo = randomBytes(4096);
const app = "export const answer = 42;\n";
const source: Record<string, string | Buffer> = {
  "index.html": "<h1>export me</h1>",
  "about/index.html": "<p>about</p>",
  "assets/deep/nested/app.js": app,
  // The same bytes at a second path: one blob, downloaded once, written twice.
  "copy/of/app.js": app,
  "assets/logo.bin": logo,
  "empty.txt": "",
};

const hostOf = (url: string) => new URL(url).hostname;

async function deploy(dir: string, branch?: string): Promise<DeployJson> {
  const args = ["deploy", dir, "--project", project, "--json", ...(branch ? ["--branch", branch] : [])];
  const res = await runCli(t, args);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as DeployJson;
}

/** Every file under `root`, relative path → bytes. */
async function readTree(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (dir: string) => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.set(path.relative(root, full).split(path.sep).join("/"), await fs.readFile(full));
    }
  };
  await walk(root);
  return out;
}

/** A site's answer as bytes (getSite decodes text), for binary files. */
function getSiteBytes(host: string, pathname: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: t.routerPort, path: pathname, headers: { host: `${host}:${t.routerPort}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Waits for a status (the router caches routes for a short while) and answers the last one seen. */
async function siteStatus(host: string, pathname: string, status: number, withinMs = 10_000) {
  const deadline = Date.now() + withinMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await getSite(t, host, pathname)).status;
    if (last === status) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

describe("deployments download and prune", () => {
  let siteDir: string;
  let first: DeployJson;

  it("reconstructs the deployed folder byte for byte", async () => {
    expect((await runCli(t, ["projects", "create", project])).code).toBe(0);
    siteDir = await writeSite(path.join(t.dataDir, "site"), source);
    first = await deploy(siteDir);

    const target = path.join(t.dataDir, "restored");
    const res = await runCli(t, ["deployments", "download", first.id, target, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({
      id: first.id,
      shortId: first.shortId,
      project,
      files: Object.keys(source).length,
      // app.js is one blob for two paths.
      downloadedFiles: Object.keys(source).length - 1,
      keptFiles: 0,
    });
    const restored = await readTree(target);
    const original = await readTree(siteDir);
    expect([...restored.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [rel, bytes] of original) expect(restored.get(rel)?.equals(bytes), rel).toBe(true);
  });

  it("prints a readable summary without --json", async () => {
    const res = await runCli(t, ["deployments", "download", first.id, path.join(t.dataDir, "restored-text")]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`Downloaded ${first.id} (${first.shortId}) of ${project}`);
    expect(res.stdout).toMatch(/Files: +6 files/);
  });

  it("refuses a folder that is not empty unless --force, which keeps what is already right", async () => {
    const target = path.join(t.dataDir, "busy");
    await writeSite(target, { "index.html": "something else", "mine.txt": "keep me" });
    const refused = await runCli(t, ["deployments", "download", first.id, target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not empty.*--force/);
    expect(await fs.readFile(path.join(target, "index.html"), "utf8")).toBe("something else");

    await writeSite(target, { "assets/logo.bin": logo });
    const forced = await runCli(t, ["deployments", "download", first.id, target, "--force", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ keptFiles: 1 });
    expect(await fs.readFile(path.join(target, "index.html"), "utf8")).toBe(source["index.html"]);
    expect(await fs.readFile(path.join(target, "mine.txt"), "utf8")).toBe("keep me");
    // No temporary file is left behind.
    expect([...(await readTree(target)).keys()].filter((p) => p.includes(".miaobu-"))).toEqual([]);
  });

  it("explains an unknown deployment in one line", async () => {
    const res = await runCli(t, ["deployments", "download", "dpl_nope", path.join(t.dataDir, "nope")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: deployment "dpl_nope" not found/);
  });

  describe("with a retention policy", () => {
    let prodOne: DeployJson;
    let preview: DeployJson;
    let prodTwo: DeployJson;
    const prodTwoFiles = { ...source, "index.html": "<h1>version three</h1>" };

    it("sets the policy through `projects update`", async () => {
      const res = await runCli(t, [
        "projects",
        "update",
        project,
        "--retain-production",
        "1",
        "--retain-preview",
        "1",
        "--retain-days",
        "0",
        // Otherwise the previous production deployment is kept for skew protection.
        "--skew-days",
        "0",
        "--json",
      ]);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout).project).toMatchObject({
        retainProduction: 1,
        retainPreview: 1,
        retainDays: 0,
        skewProtectionDays: 0,
      });
    });

    it("deploys three more times: production, a preview, production", async () => {
      prodOne = await deploy(
        await writeSite(path.join(t.dataDir, "v1"), { ...source, "index.html": "<h1>one</h1>" }),
      );
      preview = await deploy(
        await writeSite(path.join(t.dataDir, "v2"), { ...source, "index.html": "<h1>preview</h1>" }),
        "feature",
      );
      expect(preview.environment).toBe("preview");
      prodTwo = await deploy(await writeSite(path.join(t.dataDir, "v3"), prodTwoFiles));
      await expectSiteBody(t, `${project}.localhost`, "/", "<h1>version three</h1>");
    });

    it("reports what a dry run would delete and deletes nothing", async () => {
      const res = await runCli(t, ["deployments", "prune", project, "--dry-run", "--json"]);
      expect(res.code, res.stderr).toBe(0);
      const report = JSON.parse(res.stdout) as PruneJson;
      expect(report.dryRun).toBe(true);
      expect(report.deleted.map((d) => d.id).sort()).toEqual([first.id, prodOne.id].sort());
      expect(report.kept.map((d) => d.id).sort()).toEqual([preview.id, prodTwo.id].sort());
      expect(report.kept.find((d) => d.id === prodTwo.id)?.reason).toBe("production");
      expect(report.blobs).toMatchObject({ deleted: expect.any(Number), bytes: expect.any(Number) });

      // Nothing changed: the oldest deployment still serves at its own URL and is not `deleted`.
      expect((await getSite(t, hostOf(first.url), "/")).body).toBe(source["index.html"]);
      const listed = JSON.parse((await runCli(t, ["deployments", project, "--json"])).stdout);
      expect(listed.deployments.map((d: { status: string }) => d.status)).not.toContain("deleted");

      const text = await runCli(t, ["deployments", "prune", project, "--dry-run"]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain("Would delete 2 deployments");
      expect(text.stdout).toContain("Nothing was deleted (dry run)");
    });

    it("refuses to prune without --yes when nobody can confirm", async () => {
      const res = await runCli(t, ["deployments", "prune", project]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/pass --yes/);
      expect((await getSite(t, hostOf(first.url), "/")).status).toBe(200);
    });

    it("prunes with --yes: old URLs answer 410, production serves every file", async () => {
      const res = await runCli(t, ["deployments", "prune", project, "--yes", "--json"]);
      expect(res.code, res.stderr).toBe(0);
      const report = JSON.parse(res.stdout) as PruneJson;
      expect(report.dryRun).toBe(false);
      expect(report.deleted.map((d) => d.id).sort()).toEqual([first.id, prodOne.id].sort());

      for (const [rel, content] of Object.entries(prodTwoFiles)) {
        const expected = Buffer.isBuffer(content) ? content : Buffer.from(content);
        for (const host of [`${project}.localhost`, hostOf(prodTwo.url)]) {
          // `auto` trailing slashes: `/about/index.html` is served at `/about/` (the file's own path redirects).
          const got = await getSiteBytes(host, `/${rel.replace(/(^|\/)index\.html$/, "$1")}`);
          expect(got.status, `${host}/${rel}`).toBe(200);
          expect(got.body.equals(expected), `${host}/${rel}`).toBe(true);
        }
      }
      await expectSiteBody(t, `feature--${project}.localhost`, "/", "<h1>preview</h1>");
      expect(await siteStatus(hostOf(prodOne.url), "/", 410, 3_000)).toBe(410);
    });

    it("answers 410 for a deleted deployment the router had cached, within the route cache's bound", async () => {
      // The dry run above visited `first`, so this isolate holds its manifest; the route lookup (2 s bound)
      // reads the deployment's status, so the 410 does not wait for the manifest to leave the cache.
      expect(await siteStatus(hostOf(first.url), "/", 410, 3_000)).toBe(410);
      const gone = await getSite(t, hostOf(first.url), "/");
      expect(gone.body).toContain("retention policy");
      await expectSiteBody(t, `${project}.localhost`, "/", "<h1>version three</h1>");
    });

    it("lists deleted deployments as deleted", async () => {
      const json = await runCli(t, ["deployments", project, "--json"]);
      const statuses = Object.fromEntries(
        (JSON.parse(json.stdout).deployments as { id: string; status: string }[]).map((d) => [
          d.id,
          d.status,
        ]),
      );
      expect(statuses).toMatchObject({
        [first.id]: "deleted",
        [prodOne.id]: "deleted",
        [preview.id]: "ready",
        [prodTwo.id]: "ready",
      });
      const text = await runCli(t, ["deployments", project]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`${first.id} +deleted`));
      expect(text.stdout).toContain("retention policy");
    });

    it("refuses to download a deleted deployment, saying why", async () => {
      const target = path.join(t.dataDir, "restored-deleted");
      const res = await runCli(t, ["deployments", "download", first.id, target]);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^error: .*deleted by the project's retention policy/);
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
    });

    it("still downloads a kept deployment whose files it shared with the deleted ones", async () => {
      const target = path.join(t.dataDir, "restored-three");
      const res = await runCli(t, ["deployments", "download", prodTwo.id, target, "--json"]);
      expect(res.code, res.stderr).toBe(0);
      const restored = await readTree(target);
      for (const [rel, content] of Object.entries(prodTwoFiles)) {
        expect(restored.get(rel)?.equals(Buffer.from(content)), rel).toBe(true);
      }
    });
  });
});
