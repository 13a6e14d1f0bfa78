import { type CallbackClient, CallbackError, sleep } from "./callback.ts";
import type { BuildEvent, BuildStatus, LogLine, LogStream } from "./protocol.ts";

const MASK = "••••••";
const MAX_BATCH_LINES = 500;
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_LINE_CHARS = 16 * 1024;
// Batches start at least this far apart: a build that prints without pause sends at most 100 a second,
// within the API's `logs` limit (docs/rate-limits.md), while a line logged after a quiet spell goes at once.
const MIN_BATCH_GAP_MS = 10;

export interface ReporterOptions {
  client: CallbackClient;
  deploymentId: string;
  /** Values never to show in the log: secret env vars, and the builder's own credentials. */
  secrets: readonly string[];
  heartbeatMs?: number;
  /** Where problems reaching the API are told (the builder's own log). */
  warn?: (message: string) => void;
}

/**
 * Streams a build's log lines to the API in numbered batches (seq from 1, re-sent with the same seq
 * until stored), sends status events in order, and a heartbeat while the build runs. A line goes out on
 * the next turn of the event loop, with whatever was logged in the same turn; lines logged while a batch
 * is on its way go together as soon as it is stored.
 */
export class Reporter {
  status: BuildStatus = "cloning";
  readonly #options: ReporterOptions;
  readonly #base: string;
  readonly #secrets: string[];
  #pending: LogLine[] = [];
  #seq = 1;
  #sending: Promise<void> | null = null;
  #scheduled: NodeJS.Immediate | null = null;
  #lastBatchAt = Number.NEGATIVE_INFINITY;
  #events: Promise<void> = Promise.resolve();
  #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(options: ReporterOptions) {
    this.#options = options;
    this.#base = `/api/v1/builds/${encodeURIComponent(options.deploymentId)}`;
    // Longest first, so a secret containing another is masked whole.
    this.#secrets = [...new Set(options.secrets.filter((s) => s.length >= 4))].sort(
      (a, b) => b.length - a.length,
    );
    this.#heartbeat = setInterval(() => void this.#beat(), options.heartbeatMs ?? 15_000);
  }

  /** Replaces every secret value in a text. */
  mask(text: string): string {
    let masked = text;
    for (const secret of this.#secrets) masked = masked.split(secret).join(MASK);
    return masked;
  }

  /** Queues a log line (masked, cut to a sane length). */
  log(stream: LogStream, text: string): void {
    if (this.#closed) return;
    const masked = this.mask(text);
    const line = masked.length > MAX_LINE_CHARS ? `${masked.slice(0, MAX_LINE_CHARS)}… (line cut)` : masked;
    this.#pending.push({ t: Date.now(), stream, text: line });
    // One chunk of output is logged line by line in one turn: waiting for the next turn sends it whole.
    if (!this.#sending && !this.#scheduled) {
      this.#scheduled = setImmediate(() => {
        this.#scheduled = null;
        void this.#pump();
      });
    }
  }

  /** A line from the builder itself. */
  system(text: string): void {
    this.log("system", text);
  }

  /** Sends a status change after the ones before it. */
  event(status: BuildStatus, extra: Omit<BuildEvent, "status" | "at"> = {}): Promise<void> {
    this.status = status;
    const body: BuildEvent = { status, at: Date.now(), ...extra };
    if (body.error !== undefined) body.error = this.mask(body.error);
    if (body.commitMessage !== undefined) body.commitMessage = this.mask(body.commitMessage);
    this.#events = this.#events.then(() =>
      this.#options.client
        .send("POST", `${this.#base}/events`, { json: body, attempts: 8 })
        .then(() => undefined)
        .catch((error: unknown) => this.#warn(`event ${status} was not delivered: ${String(error)}`)),
    );
    return this.#events;
  }

  /** Waits until every queued line and event has been delivered (or given up on). */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#sending) await (this.#sending ?? this.#pump());
    await this.#events;
  }

  /** Drops every later line: the API stops taking them once the deployment is final. */
  seal(): void {
    this.#closed = true;
  }

  /** Flushes, then stops the heartbeat. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.flush();
    this.#closed = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
  }

  #pump(): Promise<void> {
    if (this.#sending) return this.#sending;
    if (this.#pending.length === 0) return Promise.resolve();
    this.#sending = (async () => {
      try {
        while (this.#pending.length > 0) {
          const wait = this.#lastBatchAt + MIN_BATCH_GAP_MS - performance.now();
          if (wait > 0) await sleep(wait);
          this.#lastBatchAt = performance.now();
          const lines = this.#takeBatch();
          await this.#sendBatch(this.#seq, lines);
          this.#seq += 1;
        }
      } finally {
        this.#sending = null;
      }
    })();
    return this.#sending;
  }

  #takeBatch(): LogLine[] {
    let bytes = 0;
    let count = 0;
    for (const line of this.#pending) {
      const size = Buffer.byteLength(line.text) + 64;
      if (count >= MAX_BATCH_LINES || (count > 0 && bytes + size > MAX_BATCH_BYTES)) break;
      bytes += size;
      count += 1;
    }
    return this.#pending.splice(0, count);
  }

  async #sendBatch(seq: number, lines: LogLine[]): Promise<void> {
    let delay = 250;
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await this.#options.client.send("POST", `${this.#base}/logs`, { json: { seq, lines }, attempts: 1 });
        return;
      } catch (error) {
        // A token refused or a deployment gone will not get better by retrying.
        const final = error instanceof CallbackError && error.status < 500 && error.status !== 429;
        if (final || Date.now() > deadline) {
          this.#warn(`log batch ${seq} was not delivered: ${String(error)}`);
          return;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  async #beat(): Promise<void> {
    const body: BuildEvent = { status: this.status, at: Date.now(), heartbeat: true };
    await this.#options.client
      .send("POST", `${this.#base}/events`, { json: body, attempts: 1 })
      .catch((error: unknown) => this.#warn(`heartbeat failed: ${String(error)}`));
  }

  #warn(message: string): void {
    this.#options.warn?.(`[${this.#options.deploymentId}] ${message}`);
  }
}
