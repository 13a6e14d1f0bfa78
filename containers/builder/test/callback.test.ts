// The builder's client for the API's callbacks: transient answers are retried, waiting what the API asks.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CallbackClient, CallbackError } from "../src/callback.ts";

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server answering each request with the next of `answers`; returns its URL and the request times. */
async function answering(answers: { status: number; headers?: Record<string, string>; body?: string }[]) {
  const times: number[] = [];
  server = createServer((request, response) => {
    request.resume();
    times.push(Date.now());
    const answer = answers.shift() ?? { status: 200, body: "{}" };
    response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    response.end(answer.body ?? "{}");
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, times };
}

describe("CallbackClient", () => {
  it("waits the Retry-After of a 503 (a retention sweep) before asking again", async () => {
    const api = await answering([
      { status: 503, headers: { "retry-after": "1" }, body: '{"detail":"A retention sweep…"}' },
      { status: 200, body: '{"recorded":["x"]}' },
    ]);
    const client = new CallbackClient({ apiUrl: api.url, token: "mbd_test" });
    expect(await client.send("POST", "/api/v1/builds/dpl_1/blobs", { json: { hashes: ["x"] } })).toEqual({
      recorded: ["x"],
    });
    expect(api.times).toHaveLength(2);
    expect((api.times[1] ?? 0) - (api.times[0] ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("gives up with the API's detail after its attempts, and never retries a 4xx", async () => {
    const down = await answering(
      Array.from({ length: 3 }, () => ({ status: 503, body: '{"detail":"busy"}' })),
    );
    const client = new CallbackClient({ apiUrl: down.url, token: "mbd_test" });
    const error = await client.send("POST", "/x", { attempts: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallbackError);
    expect((error as CallbackError).message).toBe("POST /x answered 503: busy");
    expect(down.times).toHaveLength(3);
    await new Promise<void>((resolve) => server?.close(() => resolve()));

    const refused = await answering([{ status: 409, body: '{"detail":"The log has ended."}' }]);
    const other = new CallbackClient({ apiUrl: refused.url, token: "mbd_test" });
    await expect(other.send("POST", "/y")).rejects.toThrow("POST /y answered 409: The log has ended.");
    expect(refused.times).toHaveLength(1);
  });
});
