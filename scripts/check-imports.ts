// `npm run check`: the import graph of every workspace's sources has no cycles, no service imports a route
// (routes call services, never the other way), and the API's configuration (env.ts) imports no service.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./platform.ts";

const SOURCES = ["workers/api/src", "workers/router/src", "containers/builder/src", "cli/src", "web/src"];
const PACKAGES = path.join(ROOT, "packages");
for (const name of readdirSync(PACKAGES)) SOURCES.push(`packages/${name}/src`);

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "node_modules" ? [] : sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

/** The local file a relative specifier names, if it is one of ours. */
function resolve(from: string, specifier: string, known: Set<string>): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [
    base,
    base.replace(/\.js$/, ".ts"),
    `${base}.ts`,
    `${base}.tsx`,
    path.join(base, "index.ts"),
  ];
  return candidates.find((candidate) => known.has(candidate));
}

const files = SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
const known = new Set(files);
const graph = new Map<string, string[]>();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const targets: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(file, match[1] ?? match[2] ?? "", known);
    if (target) targets.push(target);
  }
  graph.set(file, targets);
}

const problems: string[] = [];
const rel = (file: string) => path.relative(ROOT, file);
const api = (sub: string) => path.join(ROOT, "workers/api/src", sub);
for (const [file, targets] of graph) {
  for (const target of targets) {
    if (file.startsWith(api("services/")) && target.startsWith(api("routes/"))) {
      problems.push(`a service imports a route: ${rel(file)} → ${rel(target)}`);
    }
    if (file === api("env.ts") && target.startsWith(api("services/"))) {
      problems.push(`the configuration imports a service: ${rel(file)} → ${rel(target)}`);
    }
  }
}

// Tarjan's strongly connected components: every component of more than one file (or a self-import) is a cycle.
let index = 0;
const order = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function connect(file: string): void {
  order.set(file, index);
  low.set(file, index++);
  stack.push(file);
  onStack.add(file);
  for (const target of graph.get(file) ?? []) {
    if (!order.has(target)) {
      connect(target);
      low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
    } else if (onStack.has(target)) {
      low.set(file, Math.min(low.get(file) ?? 0, order.get(target) ?? 0));
    }
  }
  if (low.get(file) !== order.get(file)) return;
  const component: string[] = [];
  for (;;) {
    const member = stack.pop();
    if (member === undefined) break;
    onStack.delete(member);
    component.push(member);
    if (member === file) break;
  }
  if (component.length > 1 || (graph.get(file) ?? []).includes(file)) {
    problems.push(`import cycle: ${component.map(rel).sort().join(" ↔ ")}`);
  }
}
for (const file of files) if (!order.has(file)) connect(file);

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(`${files.length} files, no import cycles, services import no routes, config imports no service`);
