// Random sites, rules files and requests for the differential test. Names come from small pools, so
// rules, files and requests keep colliding: `x.html` beside `x/index.html`, two rules for one source, a
// 200 rewrite to a path Pages itself redirects, a request for a rule's source with odd encodings.
import fc from "fast-check";
import {
  DESTINATIONS,
  FILES,
  HEADER_LINES,
  HEADER_PATTERNS,
  JUNK_REDIRECTS,
  SEGMENTS,
  SOURCES,
  STATUSES,
  TRAILERS,
} from "./pools.ts";

/** A folder to deploy: relative path → content; `{host}` in `_headers` stands for the site's hostname. */
export interface SiteSpec {
  files: Record<string, string>;
}

export type Conditional = "none" | "etag" | "weak-etag" | "etag-list" | "star" | "modified-since";

export interface RequestSpec {
  method: string;
  /** Path and query as sent on the wire (already percent-encoded where HTTP requires it). */
  path: string;
  acceptEncoding: string | null;
  /** `etag…`: first GET the same path from the same server and send back its ETag. */
  conditional: Conditional;
}

export interface SiteCase {
  site: SiteSpec;
  requests: RequestSpec[];
}

function content(file: string, salt: number): string {
  if (file.endsWith(".html")) return `<!doctype html><p>${file} ${salt}</p>\n`;
  if (file.endsWith(".json")) return `{"file":"${file}","salt":${salt}}\n`;
  if (file.endsWith(".svg")) return `<svg xmlns="http://www.w3.org/2000/svg"><!-- ${salt} --></svg>\n`;
  return `/* ${file} ${salt} */\n`;
}

const redirectLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...SOURCES),
        fc.constantFrom(...DESTINATIONS),
        fc.constantFrom(...STATUSES),
        fc.constantFrom(...TRAILERS),
      )
      .map(([from, to, status, trailer]) => `${from} ${to}${status ? ` ${status}` : ""}${trailer}`),
  },
  { weight: 1, arbitrary: fc.constantFrom(...JUNK_REDIRECTS) },
);

const headerBlock = fc
  .tuple(
    fc.constantFrom(...HEADER_PATTERNS),
    fc.array(fc.constantFrom(...HEADER_LINES), { minLength: 1, maxLength: 4 }),
  )
  .map(([pattern, lines]) => [pattern, ...lines.map((line) => `  ${line}`)].join("\n"));

const siteArbitrary: fc.Arbitrary<SiteSpec> = fc
  .record({
    files: fc.subarray(FILES, { minLength: 3 }),
    redirects: fc.option(fc.array(redirectLine, { minLength: 1, maxLength: 10 }), { nil: null, freq: 4 }),
    headers: fc.option(fc.array(headerBlock, { minLength: 1, maxLength: 5 }), { nil: null, freq: 4 }),
    salt: fc.nat(9999),
  })
  .map(({ files, redirects, headers, salt }) => {
    const out: Record<string, string> = {};
    for (const file of files) out[file] = content(file, salt);
    if (redirects) out._redirects = `${redirects.join("\n")}\n`;
    if (headers) out._headers = `${headers.join("\n\n")}\n`;
    return { files: out };
  });

/** Percent-encodes what may not appear raw in a request line, leaving existing escapes alone. */
function wireSafe(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
}

const pathArbitrary = fc
  .tuple(
    fc.array(fc.constantFrom(...SEGMENTS), { minLength: 0, maxLength: 3 }),
    fc.boolean(),
    fc.constantFrom("", "", "", "?a=1", "?q=x&y", "?", "?id=7#frag"),
  )
  .map(([segments, slash, query]) => {
    const path = `/${segments.join("/")}${slash && segments.length > 0 ? "/" : ""}`;
    return `${wireSafe(path)}${query.replace(/#.*$/, "")}`;
  });

/** Paths that mean something for the site: its files in their canonical and redirected forms. */
function sitePaths(site: SiteSpec): string[] {
  const out = new Set<string>();
  for (const file of Object.keys(site.files)) {
    if (file.startsWith("_")) continue;
    const p = `/${file}`;
    out.add(p);
    if (p.endsWith("/index.html")) {
      out.add(p.slice(0, -"index.html".length));
      out.add(p.slice(0, -"/index.html".length) || "/");
      out.add(p.slice(0, -".html".length));
    } else if (p.endsWith(".html")) {
      out.add(p.slice(0, -".html".length));
      out.add(`${p.slice(0, -".html".length)}/`);
    }
  }
  return [...out].map(wireSafe);
}

function requestArbitrary(site: SiteSpec): fc.Arbitrary<RequestSpec> {
  const known = sitePaths(site);
  const paths = fc.oneof(
    { weight: 3, arbitrary: pathArbitrary },
    { weight: 2, arbitrary: fc.constantFrom(...known) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...SOURCES.map((s) => wireSafe(s.replace(/[*]/, "a/b").replace(/:(\w+)/g, "v"))),
      ),
    },
  );
  return fc.record({
    method: fc.constantFrom(
      "GET",
      "GET",
      "GET",
      "GET",
      "GET",
      "HEAD",
      "HEAD",
      "POST",
      "PUT",
      "DELETE",
      "OPTIONS",
    ),
    path: paths,
    acceptEncoding: fc.constantFrom(
      null,
      null,
      "gzip",
      "br",
      "gzip, deflate, br",
      "identity",
      "identity;q=0",
    ),
    conditional: fc.constantFrom<Conditional>(
      "none",
      "none",
      "none",
      "none",
      "etag",
      "weak-etag",
      "etag-list",
      "star",
      "modified-since",
    ),
  });
}

/** `count` sites with `perSite` requests each, the same for the same seed. */
export function generateCases(seed: number, count: number, perSite: number): SiteCase[] {
  const arbitrary = siteArbitrary.chain((site) =>
    fc
      .array(requestArbitrary(site), { minLength: perSite, maxLength: perSite })
      .map((requests) => ({ site, requests })),
  );
  return fc.sample(arbitrary, { seed, numRuns: count });
}
