// The console in a real browser against the real local platform (API, router, builder) and a real git
// daemon: sign in, import a repository, watch the live log reach ready, open the site, roll back, manage
// an env var, a custom domain and an API token, sign out.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { htmlSite, launchBrowser, signIn } from "../support/browser.ts";
import { GitServer } from "../support/git.ts";
import { ADMIN_PASSWORD, expectSiteBody, startTestPlatform, type TestPlatform } from "../support/platform.ts";

let t: TestPlatform;
let git: GitServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleUrl: string;
const project = "console-site";

beforeAll(async () => {
  git = new GitServer();
  await git.start();
  await git.commit("site", htmlSite("version one"), "first version");
  [t, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
  consoleUrl = t.platform.apiUrl;
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  // Confirmations (remove, revoke, cancel) are accepted; the test checks what they do.
  page.on("dialog", (dialog) => void dialog.accept());
  page.setDefaultTimeout(15_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  git?.stop();
});

/** Fails with the console's error text when it shows one, so a failure says what the API answered. */
async function noAlert(p: Page): Promise<void> {
  const alerts = await p.getByRole("alert").allTextContents();
  if (alerts.length > 0) throw new Error(`the console shows an error: ${alerts.join(" | ")}`);
}

/** Waits for the deployment page to show a final status; returns it. */
async function finalStatus(p: Page): Promise<string> {
  const badge = p.locator("#dep-title ~ .badge, .card .row .badge").first();
  await p.waitForFunction(
    () => {
      const el = document.querySelector(".card .row .badge");
      const status = el?.getAttribute("data-status");
      return status === "ready" || status === "failed" || status === "canceled" || status === "superseded";
    },
    undefined,
    { timeout: 60_000 },
  );
  return (await badge.getAttribute("data-status")) ?? "";
}

describe("the console", () => {
  it("serves the console for any path and answers a wrong password in words", async () => {
    await page.goto(`${consoleUrl}/projects/nothing-here`);
    await page.getByLabel("Email").fill("admin@localhost");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/password/i);
  });

  it("signs in and shows the empty state with both ways to start", async () => {
    await signIn(page, consoleUrl, ADMIN_PASSWORD);
    await page.getByRole("heading", { name: "Start your first project" }).waitFor();
    expect(await page.getByText("npx miaobu deploy ./dist").count()).toBe(1);
  });

  let firstDeployment = "";

  it("imports a git repository, analyzes it, creates the project and streams the first build to ready", async () => {
    await page.getByRole("link", { name: "Import a repository" }).click();
    await page.getByLabel("Git URL").fill(git.url("site"));
    await page.getByRole("button", { name: "Analyze" }).click();
    await page.locator("#detected-title").waitFor();
    expect(await page.locator(".reasons").textContent()).toMatch(/build/i);
    expect(await page.getByLabel("Build command").inputValue()).toBe("npm run build");
    await page.getByLabel("Project name").fill(project);
    await page.getByRole("button", { name: "Create and deploy" }).click();

    await page
      .waitForURL(new RegExp(`/projects/${project}/deployments/dpl_`), { timeout: 20_000 })
      .catch(async (error: unknown) => {
        await noAlert(page);
        throw error;
      });
    firstDeployment = page.url().split("/").at(-1) ?? "";
    expect(await finalStatus(page)).toBe("ready");
    const log = page.getByRole("log");
    await expect.poll(() => log.textContent(), { timeout: 10_000 }).toContain("compiled main");
    // ANSI colors become classes, not escape codes.
    expect(await log.locator(".fg-green").first().textContent()).toBe("compiled");
    // Streamed over the WebSocket: only its lines say which stream they came from.
    expect(await log.locator(".line.stderr", { hasText: "a warning on stderr" }).count()).toBe(1);
    expect(await log.textContent()).not.toContain("\u001b[");
    await expect.poll(() => page.locator("[data-connection]").getAttribute("data-connection")).toBe("ended");
    expect(await page.getByRole("list", { name: "Build steps" }).textContent()).toMatch(/Build\d/);
  });

  it("opens the deployment's own URL in the browser", async () => {
    const href = await page.getByTestId("deployment-url").getAttribute("href");
    expect(href).toMatch(/^http:\/\/[a-z0-9]+--console-site\.localhost:\d+$/);
    const site = await context.newPage();
    await site.goto(href ?? "");
    expect(await site.locator("h1").textContent()).toBe("version one");
    await site.close();
  });

  it("deploys a second version from the project page and rolls production back to the first", async () => {
    await git.commit("site", htmlSite("version two"), "second version");
    // The first log socket is cut after its first batch: the viewer must come back with ?after=<that seq>
    // and show every line exactly once.
    const sockets: string[] = [];
    await page.routeWebSocket(/\/logs\/ws/, (ws) => {
      sockets.push(ws.url());
      const server = ws.connectToServer();
      const first = sockets.length === 1;
      server.onMessage((message) => {
        ws.send(message);
        if (first && typeof message === "string" && message.includes('"batch"')) {
          ws.close();
          server.close();
        }
      });
    });
    await page.getByRole("link", { name: "Deployments" }).click();
    await page.getByRole("button", { name: "Deploy main" }).click();
    await page.waitForURL(
      (url) => url.pathname.includes("/deployments/") && !url.pathname.endsWith(firstDeployment),
    );
    expect(await finalStatus(page)).toBe("ready");
    const log = page.getByRole("log");
    await expect.poll(() => log.textContent(), { timeout: 10_000 }).toContain("compiled main");
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(sockets[1]).toMatch(/after=[1-9]\d*$/);
    expect(await log.locator(".line", { hasText: "compiled main" }).count()).toBe(1);
    expect(await log.locator(".line", { hasText: "$ npm run build" }).count()).toBe(1);
    await page.unrouteAll();
    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>version two</h1>");

    await page.getByRole("link", { name: "Deployments" }).click();
    const list = page.getByRole("list", { name: "Deployments" });
    await expect.poll(() => list.locator("li.deployment").count()).toBe(2);
    const current = list.locator("li.deployment", { hasText: "Production (current)" });
    await current.getByRole("button", { name: "Roll back" }).click();
    await expect
      .poll(() => list.locator(`li[data-deployment="${firstDeployment}"] .env`).textContent())
      .toBe("Production (current)");
    await expectSiteBody(t, `${project}.localhost`, "/", "<h1>version one</h1>");
  });

  it("adds and removes an environment variable", async () => {
    await page.getByRole("link", { name: "Environment variables" }).click();
    await page.getByLabel("Name").fill("GREETING");
    await page.getByLabel("Value").fill("hello");
    await page.getByLabel("Environment").selectOption("production");
    await page.getByRole("button", { name: "Save variable" }).click();
    const row = page.getByRole("list", { name: "Production variables" }).locator('li[data-key="GREETING"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("hello");
    await row.getByRole("button", { name: "Remove GREETING from production" }).click();
    await row.waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "Production" }).waitFor();
  });

  it("adds a custom domain, shows its DNS records and pending status, and removes it", async () => {
    await page.getByRole("link", { name: "Domains" }).click();
    await page.getByRole("heading", { name: "Add a domain" }).waitFor();
    const domainInput = page.getByLabel("Domain", { exact: true });
    // A refused hostname: the API's reason, in words.
    await domainInput.fill("*.console-site.example");
    await page.getByRole("button", { name: "Add domain" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/wildcard/i);

    await domainInput.fill("WWW.Console-Site.Example");
    await page.getByRole("button", { name: "Add domain" }).click();
    const card = page
      .getByRole("list", { name: "Custom domains" })
      .locator('li[data-hostname="www.console-site.example"]');
    await card.waitFor();
    await noAlert(page);
    expect(await card.locator(".badge[data-status]").getAttribute("data-status")).toBe("pending");
    expect(await card.getByText("Pending verification").count()).toBe(1);
    const records = card.getByRole("list", { name: "DNS records for www.console-site.example" });
    const txt = records.locator('li[data-type="TXT"]');
    expect(await txt.getByTestId("record-name").textContent()).toBe(
      "_miaobu-challenge.www.console-site.example",
    );
    expect(await txt.getByTestId("record-value").textContent()).toMatch(/^miaobu-verify=/);
    expect(await txt.getByRole("button", { name: "Copy the TXT record's name" }).count()).toBe(1);
    // Pin it to the first deployment; the choice is kept after a reload.
    const serves = card.getByLabel("Serves", { exact: true });
    expect(await serves.inputValue()).toBe("");
    await serves.selectOption(firstDeployment);
    const save = card.getByRole("button", { name: "Save the deployment for www.console-site.example" });
    await save.click();
    // Saved once the button is back to "Save" and disabled: nothing left to save.
    await expect.poll(async () => `${await save.textContent()} ${await save.isDisabled()}`).toBe("Save true");
    await noAlert(page);
    await page.reload();
    await expect.poll(() => serves.inputValue()).toBe(firstDeployment);
    expect(await card.getByRole("button", { name: "Check www.console-site.example now" }).count()).toBe(1);

    await card.getByRole("button", { name: "Remove www.console-site.example" }).click();
    await card.waitFor({ state: "detached" });
    await page.getByText("No custom domains yet.").waitFor();
    await noAlert(page);
  });

  it("creates a token that works once shown, and revokes it", async () => {
    await page.getByRole("link", { name: "Account" }).click();
    await page.getByLabel("Name").fill("browser-ci");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("new-token").textContent()) ?? "";
    expect(token).toMatch(/^mb_/);
    const me = () =>
      fetch(`${consoleUrl}/api/v1/projects`, { headers: { Authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
      );
    expect(await me()).toBe(200);
    const row = page.locator("li.token", { hasText: "browser-ci" });
    await row.getByRole("button", { name: "Revoke browser-ci" }).click();
    await row.waitFor({ state: "detached" });
    expect(await me()).toBe(401);
  });

  it("sets the retention policy in the project's settings", async () => {
    await page.goto(`${consoleUrl}/projects/${project}/settings`);
    const kept = page.getByLabel("Newest production deployments kept");
    expect(await kept.inputValue()).toBe("10");
    await kept.fill("3");
    await page.getByLabel("Every deployment kept for (days)").fill("0");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").getByText(/Saved/).waitFor();
    await noAlert(page);
    const saved = await page.evaluate(async (name) => {
      const res = await fetch(`/api/v1/projects/${name}`);
      return ((await res.json()) as { project: { retainProduction: number; retainDays: number } }).project;
    }, project);
    expect(saved).toMatchObject({ retainProduction: 3, retainDays: 0 });
  });

  it("sets the serving settings by Cloudflare's names, explaining the choice", async () => {
    await page.goto(`${consoleUrl}/projects/${project}/settings`);
    const html = page.getByLabel("HTML handling");
    expect(await html.inputValue()).toBe("auto-trailing-slash");
    await html.selectOption("drop-trailing-slash");
    await page.getByText("No page URL ends in /").waitFor();
    await page.getByLabel("Not-found handling").selectOption("single-page-application");
    await page.getByText(/a Cloudflare Worker with static assets/).waitFor();
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").getByText(/Saved/).waitFor();
    await noAlert(page);
    const saved = await page.evaluate(async (name) => {
      const res = await fetch(`/api/v1/projects/${name}`);
      return ((await res.json()) as { project: Record<string, unknown> }).project;
    }, project);
    expect(saved).toMatchObject({
      htmlHandling: "drop-trailing-slash",
      notFoundHandling: "single-page-application",
    });
  });

  it("clears the build cache from the project's settings, after asking", async () => {
    await page.goto(`${consoleUrl}/projects/${project}/settings`);
    const card = page.getByRole("region", { name: "Build cache" });
    const questions: string[] = [];
    page.once("dialog", (dialog) => questions.push(dialog.message()));
    await card.getByRole("button", { name: "Clear build cache" }).click();
    await card
      .getByRole("status")
      .getByText(/Build cache cleared/)
      .waitFor();
    await noAlert(page);
    expect(questions).toEqual([expect.stringMatching(/^Clear the build cache of console-site\?/)]);
    await card.getByText(/Last cleared/).waitFor();
    const cleared = await page.evaluate(async (name) => {
      const res = await fetch(`/api/v1/projects/${name}`);
      return ((await res.json()) as { project: { cacheClearedAt: string | null } }).project.cacheClearedAt;
    }, project);
    expect(cleared).not.toBeNull();
  });

  it("shows why clearing the build cache failed", async () => {
    await page.goto(`${consoleUrl}/projects/${project}/settings`);
    // The API refuses (as it would a token without the admin scope); the console says so in words.
    await page.route(/\/api\/v1\/projects\/[^/]+\/cache$/, (route) =>
      route.fulfill({
        status: 403,
        contentType: "application/problem+json",
        body: JSON.stringify({ code: "insufficient_scope", status: 403, detail: "Not allowed here." }),
      }),
    );
    const card = page.getByRole("region", { name: "Build cache" });
    await card.getByRole("button", { name: "Clear build cache" }).click();
    await expect
      .poll(() => card.getByRole("alert").textContent())
      .toBe("Could not clear the build cache: Not allowed here.");
    await page.unrouteAll();
  });

  it("deploys without cache from the project page", async () => {
    await page.getByRole("link", { name: "Deployments" }).click();
    await page.getByRole("button", { name: "Deploy without cache" }).click();
    await page.waitForURL((url) => url.pathname.includes("/deployments/"));
    expect(await finalStatus(page)).toBe("ready");
    await page.getByText("Not used: built without cache").waitFor();
    await expect
      .poll(() => page.getByRole("log").textContent(), { timeout: 10_000 })
      .toMatch(/without cache/i);
    await noAlert(page);
  });

  it("lists projects 50 at a time, with a button for more", async () => {
    // Created through the console's own session, as its pages call the API.
    const created = await page.evaluate(async () => {
      let ok = 0;
      for (let i = 0; i < 50; i++) {
        const res = await fetch("/api/v1/projects", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ name: `bulk-${String(i).padStart(2, "0")}` }),
        });
        if (res.status === 201) ok++;
      }
      return ok;
    });
    expect(created).toBe(50);
    await page.goto(consoleUrl);
    const items = page.locator('ul[aria-label="Projects"] > li');
    await items.nth(49).waitFor();
    expect(await items.count()).toBe(50);
    // Newest first: the first page holds the bulk projects, the project imported earlier comes after.
    expect(await page.getByRole("link", { name: project, exact: true }).count()).toBe(0);
    await page.getByRole("button", { name: "Load more" }).click();
    await page.getByRole("link", { name: project, exact: true }).waitFor();
    expect(await items.count()).toBeGreaterThan(50);
    expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);
    await noAlert(page);
  });

  it("signs out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Miaobu" }).waitFor();
    await page.goto(consoleUrl);
    await page.getByRole("heading", { name: "Sign in to Miaobu" }).waitFor();
  });
});
