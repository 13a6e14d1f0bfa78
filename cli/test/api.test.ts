import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient, retryAfterMs } from "../src/api";
import { ApiError, CliError, ConnectionError } from "../src/errors";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server answering each request with the next of `answers` (status, headers, body). */
async function serve(answers: [number, Record<string, string>, string][]) {
  const seen: { method: string; url: string; authorization: string | undefined }[] = [];
  server = createServer((request, response) => {
    seen.push({
      method: request.method ?? "",
      url: request.url ?? "",
      authorization: request.headers.authorization,
    });
    const [status, headers, body] = answers.shift() ?? [500, {}, ""];
    request.resume();
    request.on("end", () => response.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const delays: number[] = [];
  const client = new ApiClient({
    api: `http://127.0.0.1:${port}`,
    token: "mb_t",
    retryBaseMs: 1,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  return { client, seen, delays };
}

const problem = (code: string, detail: string) => JSON.stringify({ code, detail });
const PROBLEM = { "content-type": "application/problem+json" };

describe("ApiClient", () => {
  it("sends the token and parses JSON", async () => {
    const { client, seen } = await serve([
      [200, { "content-type": "application/json" }, '{"user":{"email":"a"}}'],
    ]);
    expect(await client.me()).toEqual({ user: { email: "a" } });
    expect(seen).toEqual([{ method: "GET", url: "/api/v1/me", authorization: "Bearer mb_t" }]);
  });

  it("retries transient failures of idempotent requests, honouring Retry-After", async () => {
    const { client, seen, delays } = await serve([
      [503, PROBLEM, problem("internal", "down")],
      [429, { ...PROBLEM, "retry-after": "2" }, problem("rate_limited", "slow down")],
      [201, { "content-type": "application/json" }, '{"hash":"h","size":1}'],
    ]);
    const answer = await client.request("PUT", "/api/v1/deployments/d/blobs/h", {
      body: "x",
      retry: "transient",
    });
    expect(answer).toEqual({ hash: "h", size: 1 });
    expect(seen).toHaveLength(3);
    expect(delays[1]).toBe(2000);
  });

  it("retries only 429 by default, and gives up after the last attempt", async () => {
    const { client, seen } = await serve([[503, PROBLEM, problem("internal", "down")]]);
    await expect(client.listProjects()).rejects.toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);

    const many = await serve(
      Array.from(
        { length: 6 },
        () => [429, PROBLEM, problem("rate_limited", "no")] as [number, Record<string, string>, string],
      ),
    );
    await expect(many.client.listProjects()).rejects.toMatchObject({ status: 429 });
    expect(many.seen).toHaveLength(5);
  });

  it("turns a 404 into the command's own line", async () => {
    const { client } = await serve([[404, PROBLEM, problem("not_found", "No such project.")]]);
    const error = await client.deleteProject("foo").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe('project "foo" not found (run `miaobu projects list`)');
  });

  it("describes a body that is not problem+json by its status", async () => {
    const { client } = await serve([[502, { "content-type": "text/html" }, "<h1>Bad gateway</h1>"]]);
    await expect(client.listProjects()).rejects.toMatchObject({
      status: 502,
      problem: { title: "the API answered 502 Bad Gateway" },
    });
  });

  it("reports a refused connection as unreachable", async () => {
    const client = new ApiClient({ api: "http://127.0.0.1:9", token: "t", sleep: async () => {} });
    await expect(client.listProjects()).rejects.toBeInstanceOf(ConnectionError);
    await expect(client.request("PUT", "/x", { retry: "transient" })).rejects.toThrow(
      "cannot reach the Miaobu API at http://127.0.0.1:9: is `npm start` running?",
    );
  });
});

describe("retryAfterMs", () => {
  it.each([
    [null, undefined],
    ["", undefined],
    ["0", 0],
    ["3", 3000],
    ["soon", undefined],
    ["Thu, 01 Jan 2026 00:00:10 GMT", 10_000],
  ])("%j → %j", (header, expected) => {
    expect(retryAfterMs(header, Date.parse("2026-01-01T00:00:00Z"))).toBe(expected);
  });
});
