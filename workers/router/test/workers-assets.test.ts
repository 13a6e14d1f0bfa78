import type { Manifest } from "@miaobu/shared";
import { describe, expect, it } from "vitest";
import { type HtmlHandling, type NotFoundHandling, resolveAsset } from "../src/resolve-asset.ts";
import recorded from "./fixtures/workers-assets.json";

// Every combination of Workers' html_handling and not_found_handling, replayed against the answers
// `wrangler dev` gave for an assets-only Worker serving the same folders (see the fixture's `source`).

type SiteName = keyof typeof recorded.sites;

function manifestOf(files: string[]): Manifest {
  const entry = { hash: "0".repeat(64), size: 1, contentType: "text/html" };
  return { version: 1, deploymentId: "dpl_x", files: Object.fromEntries(files.map((f) => [`/${f}`, entry])) };
}

/** The answer in the fixture's form: `200 <file>`, `307 → /to`, or a bare `404`. */
function answer(pathname: string, manifest: Manifest, html: HtmlHandling, notFound: NotFoundHandling) {
  const r = resolveAsset(pathname, manifest, { htmlHandling: html, notFoundHandling: notFound });
  if (r.kind === "file") return `${r.status} <${r.asset.path.slice(1)}>`;
  if (r.kind === "redirect") return `${r.status} → ${r.location}`;
  return "404";
}

const cases = (Object.keys(recorded.sites) as SiteName[]).flatMap((site) =>
  Object.entries(recorded.answers[site]).map(([combo, answers]) => {
    const [, html, notFound] =
      /^(auto-trailing-slash|force-trailing-slash|drop-trailing-slash|none)-(.+)$/.exec(combo) ?? [
        combo,
        "",
        "",
      ];
    return { site, html: html as HtmlHandling, notFound: notFound as NotFoundHandling, answers };
  }),
);

describe("Workers' asset server, every combination, as recorded from wrangler dev", () => {
  it("covers all twelve combinations on each site", () => {
    expect(cases).toHaveLength(12 * Object.keys(recorded.sites).length);
  });

  it.each(cases)("$site: $html + $notFound", ({ site, html, notFound, answers }) => {
    const manifest = manifestOf(recorded.sites[site]);
    const got = Object.fromEntries(
      Object.keys(answers).map((path) => [
        path,
        answer(new URL(`http://x${path}`).pathname, manifest, html, notFound),
      ]),
    );
    expect(got).toEqual(answers);
  });
});
