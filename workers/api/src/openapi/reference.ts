const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1f}
h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd;text-transform:capitalize}
section{margin:1.2rem 0;padding:.8rem 1rem;border:1px solid #e4e4e7;border-radius:6px}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f6f6f8;padding:.6rem;overflow:auto;max-height:24rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#0a7d32}.post{color:#1d4ed8}.put{color:#9333ea}.patch{color:#b45309}.delete{color:#b91c1c}
table{border-collapse:collapse}td,th{padding:.15rem .8rem .15rem 0;text-align:left;vertical-align:top}
details summary{cursor:pointer}`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** `code` spans from the registry's backticks, escaped. */
function inline(s: string): string {
  return escapeHtml(s).replace(/`([^`]+)`/g, "<code>$1</code>");
}

type Doc = { info: { version: string }; paths: Record<string, Record<string, OperationDoc>> };
type OperationDoc = {
  tags: string[];
  summary: string;
  "x-miaobu": { auth: string; rateLimit: string | string[] };
  parameters?: { name: string; in: string; required: boolean; description?: string }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string }>;
};

/** The API reference as one self-contained HTML page (no script, no external resource), from the document. */
export function referencePage(document: Record<string, unknown>): string {
  const doc = document as unknown as Doc;
  const all = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, entry]) => ({ path, method, entry, tag: entry.tags[0] ?? "" })),
  );
  const tags = [...new Set(all.map((op) => op.tag))];
  const parts: string[] = [];
  for (const tag of tags) {
    parts.push(`<h2 id="${escapeHtml(tag.replace(/\s+/g, "-"))}">${escapeHtml(tag)}</h2>`);
    for (const { path, method, entry } of all.filter((o) => o.tag === tag)) {
      const { auth, rateLimit } = entry["x-miaobu"];
      const limits = [rateLimit].flat().filter((p) => p !== "none");
      const params = (entry.parameters ?? [])
        .map(
          (p) =>
            `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}${p.required ? ", required" : ""}</td><td>${inline(p.description ?? "")}</td></tr>`,
        )
        .join("");
      const bodyTypes = Object.entries(entry.requestBody?.content ?? {});
      const body = bodyTypes
        .map(
          ([type, media]) =>
            `<details><summary>Body: <code>${escapeHtml(type)}</code></summary><pre>${escapeHtml(JSON.stringify(media.schema ?? {}, null, 2))}</pre></details>`,
        )
        .join("");
      const responses = Object.entries(entry.responses)
        .map(([status, r]) => `<tr><td><code>${status}</code></td><td>${inline(r.description)}</td></tr>`)
        .join("");
      parts.push(`<section><div><span class="m ${method}">${method}</span> <code>${escapeHtml(path)}</code></div>
<p>${inline(entry.summary)}. Auth: <code>${auth}</code>${limits.length ? `; rate limits: ${limits.map((p) => `<code>${p}</code>`).join(", ")}` : ""}.</p>
${params ? `<table><tr><th>parameter</th><th>in</th><th></th></tr>${params}</table>` : ""}${body}
<table><tr><th>status</th><th></th></tr>${responses}</table></section>`);
    }
  }
  const nav = tags
    .map((t) => `<a href="#${escapeHtml(t.replace(/\s+/g, "-"))}">${escapeHtml(t)}</a>`)
    .join(" · ");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Miaobu API reference</title><style>${STYLE}</style></head><body>
<h1>Miaobu API</h1><p>Version ${escapeHtml(doc.info.version)}. Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Every error is <code>application/problem+json</code> with a <code>requestId</code>.</p>
<nav>${nav}</nav>${parts.join("\n")}</body></html>`;
}

let styleHash: Promise<string> | undefined;

/** The page's Content-Security-Policy: nothing but its own inline style, by hash. */
export function referenceCsp(): Promise<string> {
  styleHash ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(STYLE)).then((digest) => {
    let s = "";
    for (const b of new Uint8Array(digest)) s += String.fromCharCode(b);
    return btoa(s);
  });
  return styleHash.then(
    (hash) => `default-src 'none'; style-src 'sha256-${hash}'; frame-ancestors 'none'; base-uri 'none'`,
  );
}
