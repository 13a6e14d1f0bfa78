// Turns a run's exchanges into agreement figures, a table of differences by class, and readable
// reproductions of the differences no known deviation explains.
import type { Difference } from "./compare.ts";
import { type Deviation, type DifferenceContext, explain as explainPages } from "./deviations.ts";
import type { Exchange, SiteResult } from "./run.ts";

export interface Finding {
  site: SiteResult;
  exchange: Exchange;
  differences: Difference[];
}

export interface ClassCount {
  deviation: Deviation;
  exchanges: number;
  example: Finding;
}

export interface Report {
  total: number;
  /** Exchanges with no difference at all. */
  identical: number;
  /** Exchanges whose only differences are deliberate deviations or reference artifacts. */
  agreeing: number;
  classes: ClassCount[];
  /** Exchanges with at least one difference no deviation explains. */
  unexplained: Finding[];
}

/** Classifies every difference of every exchange, by Pages' known deviations unless told otherwise. */
export function classify(
  results: SiteResult[],
  explain: (context: DifferenceContext) => Deviation | null = explainPages,
): Report {
  const report: Report = { total: 0, identical: 0, agreeing: 0, classes: [], unexplained: [] };
  const byName = new Map<string, ClassCount>();
  for (const site of results) {
    for (const exchange of site.exchanges) {
      report.total++;
      if (exchange.differences.length === 0) report.identical++;
      const unexplained: Difference[] = [];
      const seen = new Set<string>();
      let toFix = false;
      for (const difference of exchange.differences) {
        const deviation = explain({ difference, ...exchange, files: site.site.files });
        if (!deviation) {
          unexplained.push(difference);
          continue;
        }
        if (deviation.kind === "to-fix") toFix = true;
        if (seen.has(deviation.name)) continue;
        seen.add(deviation.name);
        const count = byName.get(deviation.name);
        if (count) count.exchanges++;
        else
          byName.set(deviation.name, {
            deviation,
            exchanges: 1,
            example: { site, exchange, differences: [difference] },
          });
      }
      if (unexplained.length > 0) report.unexplained.push({ site, exchange, differences: unexplained });
      else if (!toFix) report.agreeing++;
    }
  }
  report.classes = [...byName.values()].sort((a, b) => b.exchanges - a.exchanges);
  return report;
}

function percent(part: number, total: number): string {
  return `${total === 0 ? "100.0" : ((100 * part) / total).toFixed(1)} %`;
}

/** The site, the request and both answers, enough to reproduce a difference by hand. */
export function describeFinding({ site, exchange, differences }: Finding): string {
  const lines: string[] = [];
  const { request } = exchange;
  const settings = site.settings ? `, ${site.settings.htmlHandling} + ${site.settings.notFoundHandling}` : "";
  lines.push(`site ${site.index} (Host: ${site.host}${settings})`);
  lines.push(
    `  files: ${Object.keys(site.site.files)
      .filter((f) => !f.startsWith("_"))
      .sort()
      .join(", ")}`,
  );
  for (const rules of ["_redirects", "_headers"]) {
    const text = site.site.files[rules];
    if (text !== undefined)
      lines.push(
        `  ${rules}:`,
        ...text
          .trimEnd()
          .split("\n")
          .map((l) => `    | ${l}`),
      );
  }
  const extra = [
    request.acceptEncoding !== null ? `Accept-Encoding: ${request.acceptEncoding}` : "",
    request.conditional !== "none" ? `conditional: ${request.conditional}` : "",
  ].filter(Boolean);
  lines.push(`  request: ${request.method} ${request.path}${extra.length ? `  (${extra.join("; ")})` : ""}`);
  const answer = (label: string, r: Exchange["pages"]) =>
    `  ${label}: ${r.status} ${JSON.stringify(r.headers)} body ${JSON.stringify(r.bodyPreview)}`;
  // For the Workers target the reference's answer is an assets-only Worker's.
  const reference = site.settings ? "worker" : "pages ";
  lines.push(answer(reference, exchange.pages), answer("miaobu", exchange.miaobu));
  for (const d of differences)
    lines.push(
      `  ≠ ${d.field}: ${reference.trim()} ${JSON.stringify(d.pages)}, miaobu ${JSON.stringify(d.miaobu)}`,
    );
  return lines.join("\n");
}

/** Prints the figures, the table by class, and the first `show` unexplained findings. */
export function printReport(
  report: Report,
  options: { show: number; includeKnown?: boolean; write: (text: string) => void },
): void {
  const { write } = options;
  write(`\n${report.total} requests: ${percent(report.identical, report.total)} identical, `);
  write(
    `${percent(report.agreeing, report.total)} agreeing but for deliberate deviations and reference artifacts\n`,
  );
  if (report.classes.length > 0) {
    write("\nknown differences (requests per class):\n");
    for (const { deviation, exchanges } of report.classes)
      write(`  ${String(exchanges).padStart(5)}  ${deviation.kind.padEnd(10)}  ${deviation.name}\n`);
  }
  if (options.includeKnown) {
    for (const { deviation, example } of report.classes)
      write(`\n[${deviation.name}] ${describeFinding(example)}\n`);
  }
  const fields = new Map<string, number>();
  for (const f of report.unexplained)
    for (const d of f.differences) fields.set(d.field, (fields.get(d.field) ?? 0) + 1);
  if (fields.size > 0) {
    write(`\n${report.unexplained.length} requests with unexplained differences, by field:\n`);
    for (const [field, n] of [...fields].sort((a, b) => b[1] - a[1]))
      write(`  ${String(n).padStart(5)}  ${field}\n`);
    // One reproduction per field first, so a rare difference is not buried under a common one.
    const shownFields = new Set<string>();
    const first = report.unexplained.filter((f) => {
      const fresh = f.differences.some((d) => !shownFields.has(d.field));
      for (const d of f.differences) shownFields.add(d.field);
      return fresh;
    });
    const rest = report.unexplained.filter((f) => !first.includes(f));
    for (const finding of [...first, ...rest].slice(0, options.show))
      write(`\n${describeFinding(finding)}\n`);
  }
}
