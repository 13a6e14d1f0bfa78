// The differential run: each generated site is deployed to Miaobu and served by `wrangler pages dev`, every
// request goes to both with the same Host, and the answers are compared.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { compare, type Difference } from "./compare.ts";
import { generateCases, type RequestSpec, type SiteCase } from "./generate.ts";
import { send, type WireRequest, type WireResponse } from "./http.ts";
import { type Miaobu, startMiaobu, writeSite } from "./miaobu.ts";
import { startPagesDev } from "./pages-dev.ts";

export interface Exchange {
  request: RequestSpec;
  pages: WireResponse;
  miaobu: WireResponse;
  differences: Difference[];
}

export interface SiteResult {
  index: number;
  host: string;
  site: SiteCase["site"];
  exchanges: Exchange[];
}

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

async function runSite(miaobu: Miaobu, root: string, index: number, siteCase: SiteCase): Promise<SiteResult> {
  const project = `conformance-${index}`;
  // Both servers see this Host, so same-origin redirects and `https://{host}/*` rules compare as they are.
  const host = `${project}.localhost:${miaobu.routerPort}`;
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(siteCase.site.files))
    files[name] = text.replaceAll("{host}", `${project}.localhost`);
  const dir = await writeSite(path.join(root, project), files);
  await miaobu.deploy(project, dir);
  const pages = await startPagesDev(dir);
  try {
    const exchanges: Exchange[] = [];
    for (const spec of siteCase.requests)
      exchanges.push(await exchange(pages.port, miaobu.routerPort, host, spec));
    return { index, host, site: { files }, exchanges };
  } finally {
    await pages.stop();
  }
}

/** Generates `sites` sites from `seed` and returns every exchange, in site order. */
export async function runConformance(options: RunOptions): Promise<SiteResult[]> {
  const log = options.log ?? (() => {});
  const cases = generateCases(options.seed, options.sites, options.requestsPerSite);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "miaobu-conformance-"));
  const miaobu = await startMiaobu();
  try {
    const results: SiteResult[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const siteCase = cases[index];
        if (!siteCase) break;
        results.push(await runSite(miaobu, root, index, siteCase));
        log(`site ${index + 1}/${cases.length} done`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
    return results.sort((a, b) => a.index - b.index);
  } finally {
    await miaobu.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}
