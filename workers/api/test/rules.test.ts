import { env } from "cloudflare:workers";
import { parseRulesJson } from "@miaobu/rules";
import { storageKeys } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { api, createProject, type DeploymentJson, deploy, file, newUser } from "./helpers.ts";

type WithReport = DeploymentJson & { rulesReport: { file: string; line: number; message: string }[] };

const REDIRECTS = "# rules\n/old /new 301\n/bad /x 299\n/also bad\n/blog/* /posts/:splat\n";
const HEADERS = "/*\n  X-Frame-Options: DENY\n  no colon\n";

describe("rules at finalize", () => {
  it("stores the parsed rules as rules.json and reports invalid lines in the deployment", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const deployment = (await deploy(token, project.id, [
      await file("index.html", "<h1>hi</h1>"),
      await file("_redirects", REDIRECTS),
      await file("_headers", HEADERS),
    ])) as WithReport;
    expect(deployment.status).toBe("ready");
    expect(deployment.rulesReport).toEqual([
      { file: "_redirects", line: 3, message: expect.stringMatching(/Unknown status 299/) },
      { file: "_redirects", line: 4, message: expect.stringMatching(/destination must be a path/) },
      { file: "_headers", line: 3, message: expect.stringMatching(/Name: value/) },
    ]);

    const stored = await env.STORAGE.get(storageKeys.rules(project.id, deployment.id));
    const rules = parseRulesJson((await stored?.text()) ?? "");
    expect(rules.redirects.map((r) => [r.from, r.to, r.status, r.line])).toEqual([
      ["/old", "/new", 301, 2],
      ["/blog/*", "/posts/:splat", 302, 5],
    ]);
    expect(rules.headers).toEqual([
      { pattern: "/*", set: [{ name: "x-frame-options", value: "DENY" }], unset: [], line: 1 },
    ]);
    // The raw files are still copied byte for byte.
    const raw = await env.STORAGE.get(storageKeys.rulesFile(project.id, deployment.id, "_redirects"));
    expect(await raw?.text()).toBe(REDIRECTS);

    const again = await api(`/api/v1/deployments/${deployment.id}`, { token });
    expect((await again.json<{ deployment: WithReport }>()).deployment.rulesReport).toHaveLength(3);
  });

  it("stores empty rules and an empty report for a deployment without rules files", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const deployment = (await deploy(token, project.id, [await file("index.html", "x")])) as WithReport;
    expect(deployment.rulesReport).toEqual([]);
    const stored = await env.STORAGE.get(storageKeys.rules(project.id, deployment.id));
    expect(parseRulesJson((await stored?.text()) ?? "")).toEqual({ version: 1, redirects: [], headers: [] });
  });
});

describe("version skew columns on the production route", () => {
  async function productionRoute(name: string) {
    return env.DB.prepare(
      "select deployment_id, previous_deployment_id, previous_until from routes where hostname = ?",
    )
      .bind(`${name}.localhost`)
      .first<{
        deployment_id: string;
        previous_deployment_id: string | null;
        previous_until: number | null;
      }>();
  }

  it("records the deployment production leaves and until when its files are served", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const first = await deploy(token, project.id, [await file("a.js", "1")]);
    expect(await productionRoute(project.name)).toEqual({
      deployment_id: first.id,
      previous_deployment_id: null,
      previous_until: null,
    });

    const before = Date.now();
    const second = await deploy(token, project.id, [await file("a.js", "2")]);
    const route = await productionRoute(project.name);
    expect(route?.deployment_id).toBe(second.id);
    expect(route?.previous_deployment_id).toBe(first.id);
    const week = 7 * 24 * 60 * 60 * 1000;
    expect(route?.previous_until).toBeGreaterThanOrEqual(before + week);
    expect(route?.previous_until).toBeLessThanOrEqual(Date.now() + week);

    // A preview deployment does not touch the production route.
    await deploy(token, project.id, [await file("a.js", "3")], { branch: "next" });
    expect((await productionRoute(project.name))?.previous_deployment_id).toBe(first.id);

    // Rolling back moves it again, with the project's own number of days.
    const patch = await api(`/api/v1/projects/${project.id}`, {
      method: "PATCH",
      token,
      json: { skewProtectionDays: 2 },
    });
    expect(patch.status).toBe(200);
    const rolled = await api(`/api/v1/projects/${project.id}/rollback`, { method: "POST", token });
    expect(rolled.status).toBe(200);
    const back = await productionRoute(project.name);
    expect(back?.deployment_id).toBe(first.id);
    expect(back?.previous_deployment_id).toBe(second.id);
    expect(back?.previous_until).toBeLessThanOrEqual(Date.now() + 2 * 24 * 60 * 60 * 1000);
    expect(back?.previous_until).toBeGreaterThan(Date.now() + 24 * 60 * 60 * 1000);

    // Promoting what is already production changes nothing.
    const same = await api(`/api/v1/deployments/${first.id}/promote`, { method: "POST", token });
    expect(same.status).toBe(200);
    expect((await productionRoute(project.name))?.previous_deployment_id).toBe(second.id);
  });
});
