import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { BuildLog } from "../src/durable-objects/build-log.ts";
import { buildLog, callback, freeBuildSlots, gitProject, report, startOf, trigger } from "./build-helpers.ts";
import { api, expectProblem, newUser } from "./helpers.ts";

afterEach(freeBuildSlots);

type Message = { type: "batch"; seq: number; lines: { text: string }[] } | { type: "end"; status: string };

const line = (text: string) => ({ t: Date.now(), stream: "stdout", text });

/** Opens the log socket through the Worker and collects what arrives. */
async function connect(path: string, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(`http://localhost${path}`, {
    headers: { Upgrade: "websocket", ...headers },
  });
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error("no socket");
  const messages: Message[] = [];
  let closed = false;
  const waiters: (() => void)[] = [];
  ws.addEventListener("message", (event) => {
    messages.push(JSON.parse(String(event.data)) as Message);
    for (const w of waiters.splice(0)) w();
  });
  ws.addEventListener("close", () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  ws.accept();
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 3000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(messages)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return { ws, messages, until, isClosed: () => closed };
}

async function startedBuild() {
  const user = await newUser();
  const project = await gitProject(user.token);
  const d = await trigger(user.token, project.name);
  const { callback: cb } = await startOf(d.id);
  const append = (seq: number, texts: string[]) =>
    callback(cb.token, `${d.id}/logs`, { seq, lines: texts.map(line) });
  return { user, project, d, cb, append };
}

describe("BuildLog", () => {
  it("stores each batch once, however often it is sent, and serves the text during the build", async () => {
    const { user, d, append } = await startedBuild();
    expect((await append(1, ["$ npm install"])).status).toBe(200);
    expect((await append(2, ["added 3 packages", "done"])).status).toBe(200);
    expect((await append(1, ["$ npm install (again)"])).status).toBe(200);
    const res = await api(`/api/v1/deployments/${d.id}/logs`, { token: user.token });
    expect(res.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("X-Deployment-Status")).toBe("queued");
    expect(await res.text()).toBe("$ npm install\nadded 3 packages\ndone\n");
  });

  it("refuses oversized batches and other owners", async () => {
    const { user, d, append } = await startedBuild();
    const many = Array.from({ length: 501 }, (_, i) => `line ${i}`);
    await expectProblem(await append(1, many), 422, "invalid_input");
    await expectProblem(await append(0, ["x"]), 422, "invalid_input");
    const stranger = await newUser();
    await expectProblem(
      await api(`/api/v1/deployments/${d.id}/logs`, { token: stranger.token }),
      404,
      "not_found",
    );
    await expectProblem(await api(`/api/v1/deployments/${d.id}/logs`), 401, "unauthorized");
    expect(user).toBeDefined();
  });

  it("streams over a WebSocket and resumes after the last batch a client saw", async () => {
    const { user, d, cb, append } = await startedBuild();
    await append(1, ["one"]);
    const first = await connect(`/api/v1/deployments/${d.id}/logs/ws`, {
      Authorization: `Bearer ${user.token}`,
    });
    await first.until(() => first.messages.length === 1);
    await append(2, ["two"]);
    await first.until(() => first.messages.length === 2);
    expect(first.messages.map((m) => (m.type === "batch" ? m.seq : m.type))).toEqual([1, 2]);
    first.ws.close(1000, "dropped");

    await append(3, ["three"]);
    await append(4, ["four"]);
    // Browsers cannot send headers: the token may come as a query parameter.
    const second = await connect(`/api/v1/deployments/${d.id}/logs/ws?after=2&token=${user.token}`);
    await second.until(() => second.messages.length === 2);
    await append(5, ["five"]);
    await second.until(() => second.messages.length === 3);
    expect(second.messages).toEqual([
      { type: "batch", seq: 3, lines: [expect.objectContaining({ text: "three" })] },
      { type: "batch", seq: 4, lines: [expect.objectContaining({ text: "four" })] },
      { type: "batch", seq: 5, lines: [expect.objectContaining({ text: "five" })] },
    ]);

    await report(cb.token, d.id, { status: "failed", error: "exit 2" });
    await second.until(() => second.isClosed());
    expect(second.messages.at(-1)).toEqual({ type: "end", status: "failed" });

    // After the end a new client gets the rest and the end at once.
    const late = await connect(`/api/v1/deployments/${d.id}/logs/ws?after=4&token=${user.token}`);
    await late.until(() => late.isClosed());
    expect(late.messages).toEqual([
      { type: "batch", seq: 5, lines: [expect.objectContaining({ text: "five" })] },
      { type: "end", status: "failed" },
    ]);
  });

  it("refuses a socket without a token, or with someone else's", async () => {
    const { d } = await startedBuild();
    const stranger = await newUser();
    const none = await exports.default.fetch(`http://localhost/api/v1/deployments/${d.id}/logs/ws`, {
      headers: { Upgrade: "websocket" },
    });
    await expectProblem(none, 401, "unauthorized");
    const other = await exports.default.fetch(
      `http://localhost/api/v1/deployments/${d.id}/logs/ws?token=${stranger.token}`,
      { headers: { Upgrade: "websocket" } },
    );
    await expectProblem(other, 404, "not_found");
  });

  it("keeps one note once the log passes 16 MiB, counting what it stored before a restart", async () => {
    const { user, d } = await startedBuild();
    const big = { t: Date.now(), stream: "stdout" as const, text: "x".repeat(255 * 1024) };
    const stub = buildLog(d.id);
    for (let seq = 1; seq <= 40; seq++) expect(await stub.append(seq, [big])).toBe(true);
    // A new instance over the same storage (as after an eviction) counts the bytes already stored.
    const answers = await runInDurableObject(stub, async (_instance, state) => {
      const fresh = new BuildLog(state, env);
      const stored: boolean[] = [];
      for (let seq = 41; seq <= 70; seq++) stored.push(await fresh.append(seq, [big]));
      return stored;
    });
    expect(answers.every(Boolean)).toBe(true);
    const text = await (await api(`/api/v1/deployments/${d.id}/logs`, { token: user.token })).text();
    const lines = text.split("\n").filter((l) => l !== "");
    expect(lines.filter((l) => l === big.text)).toHaveLength(64);
    expect(lines.at(-1)).toBe("The log passed 16 MiB; later lines are not kept.");
    expect(lines).toHaveLength(65);
  });

  it("moves the finished log to storage and deletes its own data with an alarm", async () => {
    const { user, project, d, cb, append } = await startedBuild();
    await append(1, ["building…"]);
    await append(2, ["error: boom"]);
    await report(cb.token, d.id, { status: "failed", error: "boom" });
    const key = `projects/${project.id}/deployments/${d.id}/build.log`;
    const stored = await env.STORAGE.get(key);
    expect(await stored?.text()).toBe("building…\nerror: boom\n");

    const stub = buildLog(d.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec("select name from sqlite_master where type = 'table' and name = 'batches'")
        .toArray(),
    );
    expect(tables).toEqual([]);
    // The text is still served, from storage.
    const res = await api(`/api/v1/deployments/${d.id}/logs`, { token: user.token });
    expect(await res.text()).toBe("building…\nerror: boom\n");
    expect(res.headers.get("X-Deployment-Status")).toBe("failed");
    // A socket opened now learns the end at once.
    const ws = await connect(`/api/v1/deployments/${d.id}/logs/ws?token=${user.token}`);
    await ws.until(() => ws.isClosed());
    expect(ws.messages).toEqual([{ type: "end", status: "failed" }]);
  });
});
