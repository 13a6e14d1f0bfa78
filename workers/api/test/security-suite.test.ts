// Walks every operation of the OpenAPI document and attacks it: no credential, another tenant's token, an
// expired token, and malformed bodies fuzzed with fast-check. Each answer must have the exact status the
// case calls for, be problem+json with a request id, and never be a 500.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { GIT_URL, startOf, trigger } from "./build-helpers.ts";
import { api, createDeployment, createProject, file, newUser, type TestUser } from "./helpers.ts";

interface OperationDoc {
  security: Record<string, string[]>[];
  requestBody?: {
    content: Record<string, { schema?: { additionalProperties?: boolean }; example?: unknown }>;
  };
  responses: Record<string, unknown>;
}
type Doc = { paths: Record<string, Record<string, OperationDoc>> };

interface Case {
  method: string;
  path: string;
  op: OperationDoc;
}

let owner: TestUser;
let other: TestUser;
let expired: string;
let callbackToken: string;
const params: Record<string, string> = {};
let cases: Case[] = [];

const documented = (c: Case) => Object.keys(c.op.responses).map(Number);
const auth = (c: Case) => {
  const schemes = c.op.security.flatMap((s) => Object.keys(s));
  if (schemes.includes("bearer")) return "token";
  if (schemes.includes("session")) return "session";
  return schemes.includes("callback") ? "callback" : "none";
};

beforeAll(async () => {
  owner = await newUser();
  other = await newUser();
  const doc = await (await api("/api/v1/openapi.json")).json<Doc>();
  cases = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
  const project = await createProject(owner.token);
  await api(`/api/v1/projects/${project.name}`, {
    method: "PATCH",
    token: owner.token,
    json: { gitUrl: GIT_URL },
  });
  const f = await file("index.html", `<h1>${Math.random()}</h1>`);
  const { deployment } = await createDeployment(owner.token, project.name, [f]);
  const build = await trigger(owner.token, project.name);
  callbackToken = (await startOf(build.id)).callback.token;
  Object.assign(params, {
    project: project.name,
    id: deployment.id,
    hash: f.hash,
    secret: "mbh_unknownunknownunknown",
    environment: "production",
    key: "API_URL",
  });
  params.buildId = build.id;
  // An expired token of the owner.
  const res = await api("/api/v1/auth/login", {
    json: { email: owner.email, password: "correct horse battery staple" },
  });
  expired = (await res.json<{ token: string }>()).token;
  const { sha256 } = await import("./helpers.ts");
  await env.DB.prepare("update api_tokens set expires_at = 1 where token_hash = ?")
    .bind(await sha256(expired))
    .run();
});

function urlOf(c: Case): string {
  return c.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === "id" && c.path.startsWith("/api/v1/builds/")) return params.buildId ?? "";
    return encodeURIComponent(params[name] ?? "x");
  });
}

/** A request with a body the route accepts, so authorization, not validation, decides the answer. */
function send(c: Case, token: string | undefined, body?: { raw: BodyInit; type: string }) {
  const headers: Record<string, string> = {};
  if (c.op.responses["101"]) headers.Upgrade = "websocket";
  const content = c.op.requestBody?.content ?? {};
  let payload: BodyInit | undefined = body?.raw;
  if (body) headers["Content-Type"] = body.type;
  else if (content["application/json"]) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(content["application/json"].example ?? {});
  } else if (content["application/octet-stream"]) {
    headers["Content-Type"] = "application/octet-stream";
    payload = "abc";
  } else if (content["multipart/form-data"]) {
    const form = new FormData();
    form.append(params.hash ?? "x", new Blob(["abc"]));
    payload = form;
  }
  return api(urlOf(c), {
    method: c.method,
    ...(token ? { token } : {}),
    ...(payload ? { body: payload } : {}),
    headers,
  });
}

async function expectStatus(res: Response, status: number, c: Case): Promise<void> {
  const label = `${c.method} ${c.path}`;
  expect(res.status, label).not.toBe(500);
  expect(res.status, label).toBe(status);
  if (status >= 400) {
    expect(res.headers.get("Content-Type"), label).toBe("application/problem+json");
    const body = await res.json<{ status: number; requestId: string }>();
    expect(body.status, label).toBe(status);
    expect(body.requestId, label).toBe(res.headers.get("X-Request-Id"));
  }
  expect(documented(c), `${label} documents ${status}`).toContain(status);
}

describe("every operation of the document", { timeout: 60_000 }, () => {
  it("refuses a request without a credential with 401", async () => {
    for (const c of cases.filter((x) => auth(x) !== "none"))
      await expectStatus(await send(c, undefined), 401, c);
  });

  it("refuses an expired token with 401", async () => {
    for (const c of cases.filter((x) => auth(x) !== "none"))
      await expectStatus(await send(c, expired), 401, c);
  });

  it("answers another tenant's token with 404 for the owner's resources", async () => {
    const scoped = cases.filter((x) => auth(x) === "token" && /\{\w+\}/.test(x.path));
    expect(scoped.length).toBeGreaterThan(10);
    for (const c of scoped) await expectStatus(await send(c, other.token), 404, c);
  });

  it("refuses an API token on the builder's callbacks with 401", async () => {
    for (const c of cases.filter((x) => auth(x) === "callback"))
      await expectStatus(await send(c, owner.token), 401, c);
  });

  const jsonCases = () => cases.filter((c) => c.op.requestBody?.content["application/json"]);
  const tokenFor = (c: Case) =>
    auth(c) === "callback" ? callbackToken : auth(c) === "token" ? owner.token : undefined;

  it("answers a body that is not JSON with 400", async () => {
    const notJson = fc.string({ maxLength: 40 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return s.trim() !== "";
      }
    });
    for (const c of jsonCases()) {
      await fc.assert(
        fc.asyncProperty(notJson, async (text) => {
          await expectStatus(await send(c, tokenFor(c), { raw: text, type: "application/json" }), 400, c);
        }),
        { numRuns: 15 },
      );
    }
  });

  it("answers JSON that is not an object, or nests too deep, with 400", async () => {
    const notObject = fc.oneof(
      fc.array(fc.jsonValue(), { maxLength: 3 }),
      fc.integer(),
      fc.string(),
      fc.constant(null),
      fc.boolean(),
    );
    for (const c of jsonCases()) {
      await fc.assert(
        fc.asyncProperty(notObject, async (value) => {
          const raw = JSON.stringify(value);
          await expectStatus(await send(c, tokenFor(c), { raw, type: "application/json" }), 400, c);
        }),
        { numRuns: 10 },
      );
      const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
      await expectStatus(
        await send(c, tokenFor(c), { raw: `{"a":${deep}}`, type: "application/json" }),
        400,
        c,
      );
    }
  });

  it("answers an unknown field with 400 naming it, where the schema is strict", async () => {
    for (const c of jsonCases()) {
      const media = c.op.requestBody?.content["application/json"];
      if (media?.schema?.additionalProperties !== false) continue;
      const key = fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((k) => !/^(__proto__|constructor)$/.test(k));
      await fc.assert(
        fc.asyncProperty(key, fc.jsonValue(), async (name, value) => {
          const example = (media.example ?? {}) as Record<string, unknown>;
          if (name in example || Object.hasOwn(media.schema ?? {}, name)) return;
          const properties = (media.schema as { properties?: Record<string, unknown> }).properties ?? {};
          if (name in properties) return;
          const raw = JSON.stringify({ ...example, [name]: value });
          const res = await send(c, tokenFor(c), { raw, type: "application/json" });
          expect(res.status, `${c.method} ${c.path}`).toBe(400);
          const body = await res.json<{ errors?: { field: string }[] }>();
          expect(body.errors?.map((e) => e.field)).toContain(name);
        }),
        { numRuns: 10 },
      );
    }
  });

  it("answers a body of the wrong media type with 415 and an oversized one with 413", async () => {
    const huge = "x".repeat(9 * 1024 * 1024);
    for (const c of jsonCases()) {
      const example = JSON.stringify(c.op.requestBody?.content["application/json"]?.example ?? {});
      await expectStatus(await send(c, tokenFor(c), { raw: example, type: "text/plain" }), 415, c);
      await expectStatus(await send(c, tokenFor(c), { raw: huge, type: "application/json" }), 413, c);
    }
  });

  it("never answers 500 to arbitrary JSON objects, and only with documented statuses", async () => {
    for (const c of jsonCases()) {
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
          async (value) => {
            const res = await send(c, tokenFor(c), { raw: JSON.stringify(value), type: "application/json" });
            expect(res.status, `${c.method} ${c.path}`).not.toBe(500);
            expect(documented(c), `${c.method} ${c.path} answered ${res.status}`).toContain(res.status);
          },
        ),
        { numRuns: 10 },
      );
    }
  });
});
