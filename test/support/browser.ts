// Headless Chromium (the system one, through playwright-core) for the console's browser suite and the
// screenshot script.
import { type Browser, chromium, type Page } from "playwright-core";
import { ADMIN_EMAIL } from "../../scripts/platform.ts";

/** Launches the system Chromium headless; `*.localhost` resolves to loopback so site URLs open. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.MIAOBU_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-quic",
      "--disable-sync",
      "--host-resolver-rules=MAP *.localhost 127.0.0.1",
    ],
  });
}

/** Signs in through the console's form as the local administrator. */
export async function signIn(page: Page, consoleUrl: string, password: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByLabel("Email").fill(ADMIN_EMAIL);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Projects", exact: true }).waitFor();
}

/** A repository with a plain HTML site whose `build` script copies it to dist, printing colored lines. */
export function htmlSite(title: string): Record<string, string> {
  return {
    "package.json": JSON.stringify({ name: "site", private: true, scripts: { build: "node build.js" } }),
    "build.js": [
      'const fs = require("node:fs");',
      'fs.mkdirSync("dist", { recursive: true });',
      `fs.writeFileSync("dist/index.html", ${JSON.stringify(`<h1>${title}</h1>`)});`,
      'console.log("\\u001b[32mcompiled\\u001b[0m " + process.env.MIAOBU_BRANCH);',
      'console.error("\\u001b[33ma warning on stderr\\u001b[0m");',
    ].join("\n"),
    "README.md": `# ${title}\n`,
  };
}
