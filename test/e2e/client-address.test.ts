// The local platform tells the API who is connecting: per-IP limits count each source address on its own,
// a client's own `CF-Connecting-IP` buys nothing, and the build log's WebSocket still passes the proxy.
import { createHash } from "node:crypto";
import http from "node:http";
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginAdmin, savedToken, startTestPlatform, type TestPlatform } from "../support/platform.ts";

const LIMIT = 5;
let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform({ MIAOBU_RATE_LIMIT_UNAUTHENTICATED: `${LIMIT}/1m` });
  await loginAdmin(t);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** GETs a path of the API from `localAddress` (Linux routes all of 127/8 to loopback). */
function getFrom(
  localAddress: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; remaining: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: t.apiPort, path: pathname, localAddress, headers, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => {
          const remaining = res.headers["ratelimit-remaining"];
          resolve({
            status: res.statusCode ?? 0,
            remaining: Array.isArray(remaining) ? remaining[0] : remaining,
          });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("the client's address on the local platform", () => {
  it("keeps a per-IP quota per source address, whatever CF-Connecting-IP a client sends", async () => {
    // An unknown route takes no credential: the `unauthenticated` policy, per client IP.
    const forged = (n: number) => ({
      "CF-Connecting-IP": n % 2 === 0 ? `198.51.100.${n}` : "127.0.0.2",
      "X-Forwarded-For": `198.51.100.${n}`,
      "X-Real-IP": `198.51.100.${n}`,
      "MF-CF-Blob": JSON.stringify({ clientIp: `198.51.100.${n}` }),
    });
    const statuses: number[] = [];
    for (let n = 0; n < LIMIT + 3; n++) {
      statuses.push((await getFrom("127.0.0.3", "/api/v1/no-such-route", forged(n))).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(404), 429, 429, 429]);

    // Another source address has its whole quota, untouched by the forged headers that named it.
    const other = await getFrom("127.0.0.2", "/api/v1/no-such-route");
    expect(other).toEqual({ status: 404, remaining: String(LIMIT - 1) });
  });

  it("streams a build log over a WebSocket through the proxy", async () => {
    const token = await savedToken(t);
    const api = async (method: string, pathname: string, body: unknown) => {
      const res = await fetch(`${t.platform.apiUrl}${pathname}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      return res.json() as Promise<{ deployment: { id: string } }>;
    };
    await api("POST", "/api/v1/projects", { name: "ws-site" });
    const content = "<h1>hi</h1>";
    const hash = createHash("sha256").update(content).digest("hex");
    // A deployment still waiting for its files: its log stays open, so the socket is live.
    const { deployment } = await api("POST", "/api/v1/projects/ws-site/deployments", {
      files: [{ path: "index.html", hash, size: content.length }],
    });

    const url = `${t.platform.apiUrl.replace(/^http/, "ws")}/api/v1/deployments/${deployment.id}/logs/ws`;
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    try {
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error("the log socket did not open"));
      });
      const pong = new Promise<unknown>((resolve) => {
        ws.onmessage = (event) => resolve(event.data);
      });
      ws.send("ping");
      expect(await pong).toBe("pong");
    } finally {
      ws.close();
    }
  });
});
