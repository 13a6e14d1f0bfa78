// The reporter sends a build's log as it is printed: no timer stands between a line and the API.
import { afterEach, describe, expect, it, vi } from "vitest";
import { CallbackClient, CallbackError } from "../src/callback.ts";
import type { LogLine } from "../src/protocol.ts";
import { Reporter } from "../src/reporter.ts";

type SendOptions = Parameters<CallbackClient["send"]>[2];

interface Sent {
  path: string;
  json: unknown;
  /** Answers the request: 2xx stores it, anything else fails it as the API would. */
  answer: (status?: number) => void;
}

/** The API as the reporter sees it: every request is recorded and answered when the test says. */
class ApiDouble extends CallbackClient {
  readonly sent: Sent[] = [];
  /** Answer every request at once with 200 (false: the test answers each itself). */
  answerAtOnce = true;
  #waiters: (() => void)[] = [];

  constructor() {
    super({ apiUrl: "http://api.invalid", token: "mbd_test" });
  }

  override send(_method: string, path: string, options: SendOptions = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const answer = (status = 200) =>
        status < 300
          ? resolve({ stored: true })
          : reject(new CallbackError(status, null, `POST ${path} answered ${status}`));
      this.sent.push({ path, json: options.json, answer });
      for (const wake of this.#waiters.splice(0)) wake();
      if (this.answerAtOnce) answer();
    });
  }

  /** The log batches sent so far (re-sent ones included), as seq and texts. */
  batches(): { seq: number; texts: string[] }[] {
    return this.sent
      .filter((s) => s.path.endsWith("/logs"))
      .map((s) => {
        const { seq, lines } = s.json as { seq: number; lines: LogLine[] };
        return { seq, texts: lines.map((line) => line.text) };
      });
  }

  /** The `n`th log request (from 1), once it has been sent. */
  async batch(n: number): Promise<Sent> {
    for (;;) {
      const found = this.sent.filter((s) => s.path.endsWith("/logs"))[n - 1];
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/** Lets the event loop go round once: whatever was scheduled with `setImmediate` has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function reporterFor(api: ApiDouble): Reporter {
  return new Reporter({ client: api, deploymentId: "dpl_test", secrets: ["s3cr3t-value"] });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Reporter", () => {
  // Timers never advance in these tests: a line that waited for one would never arrive.
  const frozen = () =>
    vi.useFakeTimers({
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"],
    });

  it("sends a line logged alone on the next turn of the event loop, without waiting for a timer", async () => {
    frozen();
    const api = new ApiDouble();
    const reporter = reporterFor(api);
    reporter.log("stdout", "hello s3cr3t-value");
    await nextTurn();
    expect(api.batches()).toEqual([{ seq: 1, texts: ["hello ••••••"] }]);

    // And again after a quiet spell: the next line goes at once too, as batch 2.
    vi.advanceTimersByTime(1000);
    reporter.system("later");
    await nextTurn();
    expect(api.batches()).toEqual([
      { seq: 1, texts: ["hello ••••••"] },
      { seq: 2, texts: ["later"] },
    ]);
    await reporter.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sends the lines logged together as one batch, and a chunk past the size limit as several", async () => {
    frozen();
    const api = new ApiDouble();
    const reporter = reporterFor(api);
    reporter.log("stdout", "one");
    reporter.log("stderr", "two");
    reporter.system("three");
    await nextTurn();
    expect(api.batches()).toEqual([{ seq: 1, texts: ["one", "two", "three"] }]);

    vi.advanceTimersByTime(1000);
    const chunk = Array.from({ length: 1200 }, (_, i) => `line ${i}`);
    for (const text of chunk) reporter.log("stdout", text);
    const flushed = reporter.flush();
    // The batches of one chunk still start 10 ms apart.
    await vi.advanceTimersByTimeAsync(20);
    await flushed;
    expect(api.batches().map((b) => [b.seq, b.texts.length])).toEqual([
      [1, 3],
      [2, 500],
      [3, 500],
      [4, 200],
    ]);
    expect(api.batches().flatMap((b) => b.texts)).toEqual(["one", "two", "three", ...chunk]);
    await reporter.close();
  });

  it("queues lines while a batch is on its way and sends them, in order, once it is stored", async () => {
    const api = new ApiDouble();
    api.answerAtOnce = false;
    const reporter = reporterFor(api);
    reporter.log("stdout", "a");
    const first = await api.batch(1);
    reporter.log("stdout", "b");
    await nextTurn();
    reporter.log("stdout", "c");
    await nextTurn();
    await nextTurn();
    // One request at a time: nothing more goes out until the API has stored batch 1.
    expect(api.batches()).toEqual([{ seq: 1, texts: ["a"] }]);

    first.answer();
    const second = await api.batch(2);
    expect(api.batches()[1]).toEqual({ seq: 2, texts: ["b", "c"] });

    // A batch that fails is sent again with its number; lines logged meanwhile wait for the next one.
    reporter.log("stdout", "d");
    second.answer(503);
    const again = await api.batch(3);
    expect(api.batches()[2]).toEqual({ seq: 2, texts: ["b", "c"] });
    again.answer();
    const third = await api.batch(4);
    expect(api.batches()[3]).toEqual({ seq: 3, texts: ["d"] });
    third.answer();
    await reporter.close();
    expect(api.batches().map((b) => b.seq)).toEqual([1, 2, 2, 3]);
  });

  it("starts batches at least 10 ms apart when a build prints without pause", async () => {
    frozen();
    const api = new ApiDouble();
    const reporter = reporterFor(api);
    reporter.log("stdout", "first");
    await nextTurn();
    expect(api.batches()).toHaveLength(1);
    reporter.log("stdout", "second");
    await nextTurn();
    await nextTurn();
    expect(api.batches()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(9);
    await nextTurn();
    expect(api.batches()).toHaveLength(1);
    reporter.log("stdout", "third");
    await vi.advanceTimersByTimeAsync(1);
    await nextTurn();
    expect(api.batches()).toEqual([
      { seq: 1, texts: ["first"] },
      { seq: 2, texts: ["second", "third"] },
    ]);
    await reporter.close();
  });

  it("keeps status events in order, apart from the log", async () => {
    frozen();
    const api = new ApiDouble();
    const reporter = reporterFor(api);
    void reporter.event("cloning");
    reporter.log("stdout", "x");
    void reporter.event("failed", { error: "exit 1 (s3cr3t-value)" });
    await reporter.close();
    const events = api.sent.filter((s) => s.path.endsWith("/events")).map((s) => s.json);
    expect(events).toEqual([
      expect.objectContaining({ status: "cloning" }),
      expect.objectContaining({ status: "failed", error: "exit 1 (••••••)" }),
    ]);
    expect(api.batches()).toEqual([{ seq: 1, texts: ["x"] }]);
  });
});
