// `npm run check` step: builds the API's OpenAPI document exactly as GET /api/v1/openapi.json serves it and
// validates it against the OpenAPI 3.1 schema; every route declared in packages/contract must be in it with
// a response schema.
import path from "node:path";
import { declaredRoutes } from "@miaobu/contract";
import { Validator } from "@seriousme/openapi-schema-validator";
import { build } from "esbuild";
import { ROOT } from "./platform.ts";

type Document = {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: object }> }>>;
};

/** The document module bundled for Node: the Worker-only imports on its way are stubbed, never called. */
async function loadDocument(): Promise<Document> {
  const result = await build({
    entryPoints: [path.join(ROOT, "workers/api/src/openapi/document.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    logLevel: "error",
    plugins: [
      {
        name: "workers-stubs",
        setup(b) {
          b.onResolve({ filter: /^cloudflare:/ }, (args) => ({ path: args.path, namespace: "stub" }));
          b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
            contents: "export class DurableObject {} export class WorkerEntrypoint {} export const env = {};",
          }));
        },
      },
    ],
  });
  const code = result.outputFiles[0]?.text ?? "";
  const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  return module.openApiDocument("0.0.0", "http://localhost:8787") as Document;
}

const document = await loadDocument();
const problems: string[] = [];
const result = await new Validator().validate(document as unknown as Parameters<Validator["validate"]>[0]);
if (!result.valid)
  problems.push(`not a valid OpenAPI 3.1 document: ${JSON.stringify(result.errors, null, 2)}`);
for (const route of declaredRoutes) {
  const operation = document.paths[route.path]?.[route.method];
  const documented = Object.entries(operation?.responses ?? {}).filter(([status]) => Number(status) < 300);
  if (!operation) problems.push(`${route.method} ${route.path} is declared but not in the document`);
  else if (documented.some(([status, r]) => status !== "204" && !r.content)) {
    problems.push(`${route.method} ${route.path} has a success answer without a schema`);
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(
  `OpenAPI document valid: ${Object.keys(document.paths).length} paths, ${declaredRoutes.length} declared routes`,
);
