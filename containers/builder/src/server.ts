import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Builder } from "./builder.ts";
import { BuildFailure } from "./clone.ts";
import { parseBuildRequest, parseSource } from "./protocol.ts";
import { SandboxUnavailable } from "./sandbox/probe.ts";

const MAX_BODY_BYTES = 1024 * 1024;

/** The builder's HTTP interface (docs/builder-protocol.md), as a `node:http` request handler. */
export function createHandler(builder: Builder, secret: string, warn: (message: string) => void) {
  const expected = createHash("sha256").update(`Bearer ${secret}`).digest();
  const authorized = (request: IncomingMessage) => {
    const given = createHash("sha256")
      .update(request.headers.authorization ?? "")
      .digest();
    return timingSafeEqual(given, expected);
  };
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://builder");
    const method = request.method ?? "GET";
    try {
      if (method === "GET" && url.pathname === "/healthz") {
        return send(response, 200, { status: "ok", running: builder.running, capacity: builder.capacity });
      }
      if (!authorized(request))
        return problem(response, 401, "unauthorized", "a valid builder secret is needed");
      if (method === "POST" && url.pathname === "/builds") {
        const parsed = parseBuildRequest(await readJson(request));
        if ("problem" in parsed) return problem(response, 422, "invalid_input", parsed.problem);
        const outcome = builder.start(parsed.request);
        if (outcome === "busy") {
          response.setHeader("retry-after", "10");
          return problem(response, 503, "busy", `the builder runs ${builder.capacity} builds already`);
        }
        return send(response, outcome === "started" ? 202 : 200, { accepted: true });
      }
      const cancel = /^\/builds\/([^/]+)$/.exec(url.pathname);
      if (method === "DELETE" && cancel?.[1]) {
        if (!builder.cancel(decodeURIComponent(cancel[1])))
          return problem(response, 404, "not_found", "no such build");
        return send(response, 202, { canceled: true });
      }
      if (method === "POST" && url.pathname === "/analyze") {
        const body = (await readJson(request)) as { source?: unknown } | null;
        const parsed = parseSource(body?.source);
        if ("problem" in parsed) return problem(response, 422, "invalid_input", parsed.problem);
        try {
          return send(response, 200, await builder.analyze(parsed.source));
        } catch (error) {
          if (error instanceof BuildFailure) return problem(response, 422, "invalid_input", error.message);
          if (error instanceof SandboxUnavailable)
            return problem(response, 503, "unavailable", error.message);
          throw error;
        }
      }
      return problem(response, 404, "not_found", `no route for ${method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof BadRequest) return problem(response, 400, "bad_request", error.message);
      warn(
        `${method} ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return problem(response, 500, "internal", "the builder failed; see its log");
    }
  };
}

class BadRequest extends Error {}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest("the body is too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadRequest("the body is not JSON");
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function problem(response: ServerResponse, status: number, code: string, detail: string): void {
  response.writeHead(status, { "content-type": "application/problem+json" });
  response.end(
    JSON.stringify({ type: `https://miaobu.dev/problems/${code}`, title: detail, status, code, detail }),
  );
}
