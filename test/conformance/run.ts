// The differential run: each generated site is deployed to Miaobu and served by the reference (`wrangler
// pages dev`, or an assets-only Worker in `wrangler dev`: workers-target.ts), every request goes to both
// with the same Host, and the answers are compared.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { compare, type Difference } from "./compare.ts";
import { generateCases, type RequestSpec, type SiteCase } from "./generate.ts";
import { send, type WireRequest, type WireResponse } from "./http.ts";
import { type Miaobu, startMiaobu, writeSite } from "./miaobu.ts";
import { startPagesDev } from "./pages-dev.ts";
import type { WorkersSettings } from "./workers-dev.ts";
import type { ReferenceServer } from "./wrangler-process.ts";

export interface Exchange {
  request: RequestSpec;
  /** The reference's answer (Pages', or the Worker's for the Workers target). */
  pages: WireResponse;
  miaobu: WireResponse;
  differences: Difference[];
}

export interface SiteResult {
  index: number;
  host: string;
  site: SiteCase["site"];
  /** The project's serving settings and the reference's name, for the Workers target. */
  settings?: WorkersSettings;
  exchanges: Exchange[];
}

/** What Miaobu is compared with: a reference server per site folder, and the project's settings to match. */
export interface Target {
  start(dir: string): Promise<ReferenceServer>;
  /** Absent: the defaults, which serve as Pages does. */
  settings?: WorkersSettings;
}

const PAGES: Target = { start: startPagesDev };

export interface RunOptions {
  seed: number;
  sites: number;
  requestsPerSite: number;
  /** Sites served at once (each is one `pages dev` process). */
  concurrency?: number;
  log?: (line: string) => void;
}

const OTHER_ETAG = '"0123456789abcdef"';

/** The request as sent to one server; a conditional one first asks that server for the path's ETag. */
async function wireRequest(port: number, host: string, spec: RequestSpec): Promise<WireRequest> {
  const headers: Record<string, string> = { host };
  if (spec.acceptEncoding !== null) headers["accept-encoding"] = spec.acceptEncoding;
  if (spec.conditional === "modified-since") headers["if-modified-since"] = new Date().toUTCString();
  else if (spec.conditional === "star") headers["if-none-match"] = "*";
  else if (spec.conditional !== "none") {
    const first = await send(port, { method: "GET", path: spec.path, headers: { host } });
    const etag = first.headers.etag ?? OTHER_ETAG;
    headers["if-none-match"] =
      spec.conditional === "weak-etag"
        ? `W/${etag}`
        : spec.conditional === "etag-list"
          ? `${OTHER_ETAG}, ${etag}`
          : etag;
  }
  return { method: spec.method, path: spec.path, headers };
}

async function exchange(
  pagesPort: number,
  routerPort: number,
  host: string,
  spec: RequestSpec,
): Promise<Exchange> {
  const [pages, miaobu] = await Promise.all([
    wireRequest(pagesPort, host, spec).then((r) => send(pagesPort, r)),
    wireRequest(routerPort, host, spec).then((r) => send(routerPort, r)),
  ]);
  return { request: spec, pages, miaobu, differences: compare(pages, miaobu) };
}

async function runSite(
  miaobu: Miaobu,
  root: string,
  index: number,
  siteCase: SiteCase,
  target: Target,
): Promise<SiteResult> {
  const project = `conformance-${index}`;
  // Both servers see this Host, so same-origin redirects and `https://{host}/*` rules compare as they are.
  const host = `${project}.localhost:${miaobu.routerPort}`;
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(siteCase.site.files))
    files[name] = text.replaceAll("{host}", `${project}.localhost`);
  const dir = await writeSite(path.join(root, project), files);
  await miaobu.deploy(project, dir, target.settings);
  const reference = await target.start(dir);
  try {
    const exchanges: Exchange[] = [];
    for (const spec of siteCase.requests)
      exchanges.push(await exchange(reference.port, miaobu.routerPort, host, spec));
    return {
      index,
      host,
      site: { files },
      ...(target.settings ? { settings: target.settings } : {}),
      exchanges,
    };
  } finally {
    await reference.stop();
  }
}

/**
 * Runs `cases` (numbered from `firstIndex`, which names their projects) against one target, `concurrency`
 * sites at once; returns their results in order.
 */
export async function runSites(
  miaobu: Miaobu,
  root: string,
  cases: SiteCase[],
  target: Target,
  options: { firstIndex?: number; concurrency?: number; log?: (line: string) => void } = {},
): Promise<SiteResult[]> {
  const log = options.log ?? (() => {});
  const first = options.firstIndex ?? 0;
  return inPool(cases, options.concurrency ?? 2, async (siteCase, index) => {
    const result = await runSite(miaobu, root, first + index, siteCase, target);
    log(`site ${index + 1}/${cases.length} done`);
    return result;
  });
}

/** `run` for every item, at most `concurrency` at once; the results in the items' order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}

/** Generates `sites` sites from `seed` and returns every exchange, in site order. */
export async function runConformance(options: RunOptions): Promise<SiteResult[]> {
  const cases = generateCases(options.seed, options.sites, options.requestsPerSite);
  return withMiaobu((miaobu, root) => runSites(miaobu, root, cases, PAGES, options));
}

/** Starts the platform and a scratch folder for sites, runs `body`, and removes both. */
export async function withMiaobu<T>(body: (miaobu: Miaobu, root: string) => Promise<T>): Promise<T> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-conformance-"));
  const miaobu = await startMiaobu();
  try {
    return await body(miaobu, root);
  } finally {
    await miaobu.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}
