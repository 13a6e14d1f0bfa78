// `npm run screenshots`: starts a throwaway local platform and git daemon, makes a project with two builds,
// and saves screenshots of the console's main pages to docs/screenshots/.
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { htmlSite, launchBrowser, signIn } from "../test/support/browser.ts";
import { GitServer } from "../test/support/git.ts";
import { ADMIN_PASSWORD, startTestPlatform } from "../test/support/platform.ts";
import { ADMIN_EMAIL, ROOT } from "./platform.ts";

const OUT = path.join(ROOT, "docs/screenshots");

async function call<T>(
  base: string,
  token: string,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}/api/v1${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

async function waitReady(base: string, token: string, id: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${base}/api/v1/deployments/${id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const { deployment } = (await res.json()) as { deployment: { status: string } };
    if (deployment.status === "ready") return;
    if (["failed", "canceled", "superseded"].includes(deployment.status))
      throw new Error(`build ${deployment.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the build did not finish");
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle").catch(() => {});
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
}

const build = spawnSync(path.join(ROOT, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], {
  cwd: path.join(ROOT, "web"),
  stdio: "inherit",
});
if (build.status !== 0) process.exit(1);

const git = new GitServer();
await git.start();
const t = await startTestPlatform();
const browser = await launchBrowser();
try {
  await fs.mkdir(OUT, { recursive: true });
  const base = t.platform.apiUrl;
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, tokenName: "screenshots" }),
  });
  const { token } = (await login.json()) as { token: string };

  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(base);
  await page.getByLabel("Email").waitFor();
  await shot(page, "sign-in");
  await signIn(page, base, ADMIN_PASSWORD);
  await shot(page, "projects-empty");

  await git.commit("marketing-site", htmlSite("version one"), "Landing page");
  await page.goto(`${base}/new`);
  await page.getByLabel("Git URL").fill(git.url("marketing-site"));
  await page.getByRole("button", { name: "Analyze" }).click();
  await page.locator("#detected-title").waitFor();
  await shot(page, "new-project");

  const name = "marketing-site";
  await call(base, token, "POST", "/projects", { name, gitUrl: git.url(name) });
  await call(base, token, "PUT", `/projects/${name}/env/production/PUBLIC_API_URL`, {
    value: "https://api.example.com",
  });
  await call(base, token, "PUT", `/projects/${name}/env/production/SENTRY_TOKEN`, {
    value: "s3cr3t",
    secret: true,
  });
  const first = await call<{ deployment: { id: string } }>(base, token, "POST", `/projects/${name}/builds`);
  await waitReady(base, token, first.deployment.id);
  await git.commit(name, htmlSite("version two"), "New pricing section");
  const second = await call<{ deployment: { id: string } }>(base, token, "POST", `/projects/${name}/builds`);
  await waitReady(base, token, second.deployment.id);

  await page.goto(base);
  await page.locator("li.card .badge").first().waitFor();
  await shot(page, "projects");
  await page.goto(`${base}/projects/${name}`);
  await page.locator("li.deployment").nth(1).waitFor();
  await shot(page, "project");
  await page.goto(`${base}/projects/${name}/deployments/${second.deployment.id}`);
  await page.getByRole("log").getByText("compiled").waitFor();
  await shot(page, "deployment-log");
  await page.goto(`${base}/projects/${name}/env`);
  await page.locator('li[data-key="SENTRY_TOKEN"]').waitFor();
  await shot(page, "env");
  await call(base, token, "POST", `/projects/${name}/domains`, { hostname: `www.${name}.example` });
  await page.goto(`${base}/projects/${name}/domains`);
  await page.locator(`li[data-hostname="www.${name}.example"] .badge[data-status]`).waitFor();
  await shot(page, "domains");
  await page.goto(`${base}/projects/${name}/settings`);
  await page.getByLabel("Build command").waitFor();
  await shot(page, "settings");
  await page.goto(`${base}/account`);
  await page.locator("li.token").first().waitFor();
  await shot(page, "account");

  const phone = await (
    await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true })
  ).newPage();
  await signIn(phone, base, ADMIN_PASSWORD);
  await phone.goto(`${base}/projects/${name}`);
  await phone.locator("li.deployment").nth(1).waitFor();
  await shot(phone, "project-phone");
} finally {
  await browser.close();
  await t.stop();
  git.stop();
}
