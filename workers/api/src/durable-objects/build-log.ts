import { DurableObject } from "cloudflare:workers";
import type { DeploymentStatus } from "@miaobu/db";
import { storageKeys } from "@miaobu/shared";
import { storageOf } from "@miaobu/storage";
import { configOf } from "../env.ts";
import type { LogLine } from "../services/builds/clients.ts";

interface BatchRow extends Record<string, SqlStorageValue> {
  seq: number;
  lines: string;
  bytes: number;
}

/** What a WebSocket client receives. */
export type LogMessage =
  | { type: "batch"; seq: number; lines: LogLine[] }
  | { type: "end"; status: DeploymentStatus };

/** Header the API sets when the deployment has finished, for a log whose data is already gone. */
export const FINAL_STATUS_HEADER = "X-Miaobu-Final-Status";

// A runaway build could print without end; past this the log keeps one note and drops the rest.
const MAX_LOG_BYTES = 16 * 1024 * 1024;

/**
 * One per deployment (named by its id): the builder's numbered batches of lines in SQLite, each stored once
 * however often it is re-sent, broadcast to hibernatable WebSocket clients. A client that connects with
 * `?after=<seq>` first gets exactly the batches after that number, then live ones. When the build ends the
 * whole text goes to storage (`build.log`), clients get `{type:"end"}` and are closed, and an alarm deletes
 * the object's data.
 */
export class BuildLog extends DurableObject<Env> {
  // Bytes stored so far, summed once per wake-up: summing on every append would slow each batch down as
  // the log grows, and a log comes in many small batches.
  private storedBytes: number | null = null;

  private hasTables(): boolean {
    const [row] = this.ctx.storage.sql
      .exec<{ n: number }>(
        "select count(*) as n from sqlite_master where type = 'table' and name = 'batches'",
      )
      .toArray();
    return (row?.n ?? 0) > 0;
  }

  private ensureTables(): void {
    this.ctx.storage.sql.exec(
      `create table if not exists batches (seq integer primary key, lines text not null, bytes integer not null);
       create table if not exists meta (key text primary key, value text not null);`,
    );
  }

  private meta(key: string): string | undefined {
    if (!this.hasTables()) return undefined;
    const [row] = this.ctx.storage.sql
      .exec<{ value: string }>("select value from meta where key = ?", key)
      .toArray();
    return row?.value;
  }

  private setMeta(key: string, value: string): void {
    this.ctx.storage.sql.exec("insert or replace into meta (key, value) values (?, ?)", key, value);
  }

  private batches(after = 0): BatchRow[] {
    if (!this.hasTables()) return [];
    return this.ctx.storage.sql
      .exec<BatchRow>("select seq, lines, bytes from batches where seq > ? order by seq", after)
      .toArray();
  }

  private broadcast(message: LogMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A socket closing under us; its close handler cleans up.
      }
    }
  }

  /** Stores batch `seq` unless it already is; false once the log has ended. */
  async append(seq: number, lines: LogLine[]): Promise<boolean> {
    if (this.meta("ended") !== undefined) return false;
    this.ensureTables();
    const [known] = this.ctx.storage.sql.exec("select 1 from batches where seq = ?", seq).toArray();
    if (known || this.meta("truncated") !== undefined) return true;
    let stored = lines;
    let json = JSON.stringify(stored);
    if (this.storedBytes === null) {
      const [total] = this.ctx.storage.sql
        .exec<{ n: number }>("select coalesce(sum(bytes), 0) as n from batches")
        .toArray();
      this.storedBytes = total?.n ?? 0;
    }
    if (this.storedBytes + json.length > MAX_LOG_BYTES) {
      const text = `The log passed ${MAX_LOG_BYTES / 1024 / 1024} MiB; later lines are not kept.`;
      stored = [{ t: Date.now(), stream: "system", text }];
      json = JSON.stringify(stored);
      this.setMeta("truncated", "1");
    }
    this.ctx.storage.sql.exec(
      "insert into batches (seq, lines, bytes) values (?, ?, ?)",
      seq,
      json,
      json.length,
    );
    this.storedBytes += json.length;
    this.broadcast({ type: "batch", seq, lines: stored });
    return true;
  }

  /** The log so far: one line of text per line logged. */
  async text(): Promise<string> {
    return this.renderText();
  }

  private renderText(): string {
    let out = "";
    for (const batch of this.batches()) {
      for (const line of JSON.parse(batch.lines) as LogLine[]) out += `${line.text}\n`;
    }
    return out;
  }

  /** Ends the log (after the system line or lines `note`, if any); see the class comment. Idempotent. */
  async end(
    projectId: string,
    deploymentId: string,
    status: DeploymentStatus,
    note?: string | readonly string[],
  ): Promise<void> {
    if (this.meta("ended") !== undefined) return;
    if (note !== undefined || this.hasTables()) {
      this.ensureTables();
      if (note !== undefined) {
        const [last] = this.ctx.storage.sql
          .exec<{ n: number }>("select coalesce(max(seq), 0) as n from batches")
          .toArray();
        const seq = (last?.n ?? 0) + 1;
        const t = Date.now();
        const lines: LogLine[] = (typeof note === "string" ? [note] : note).map((text) => ({
          t,
          stream: "system",
          text,
        }));
        const json = JSON.stringify(lines);
        this.ctx.storage.sql.exec(
          "insert into batches (seq, lines, bytes) values (?, ?, ?)",
          seq,
          json,
          json.length,
        );
        this.broadcast({ type: "batch", seq, lines });
      }
      await storageOf(this.env).put(storageKeys.buildLog(projectId, deploymentId), this.renderText(), {
        contentType: "text/plain; charset=utf-8",
      });
      this.setMeta("ended", status);
      await this.ctx.storage.setAlarm(Date.now() + configOf(this.env).builds.logRetentionMs);
    }
    this.broadcast({ type: "end", status });
    for (const ws of this.ctx.getWebSockets()) ws.close(1000, "the build has ended");
  }

  /** Cleanup: the text is in storage by now. */
  override async alarm(): Promise<void> {
    this.storedBytes = null;
    await this.ctx.storage.deleteAll();
  }

  /** Only the WebSocket upgrade: replays the batches after `?after=`, then live ones. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade.", { status: 426 });
    }
    const after = Number(new URL(request.url).searchParams.get("after") ?? "0");
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    for (const batch of this.batches(Number.isSafeInteger(after) ? after : 0)) {
      const message: LogMessage = { type: "batch", seq: batch.seq, lines: JSON.parse(batch.lines) };
      server.send(JSON.stringify(message));
    }
    const ended = this.meta("ended") ?? request.headers.get(FINAL_STATUS_HEADER);
    if (ended) {
      server.send(JSON.stringify({ type: "end", status: ended }));
      server.close(1000, "the build has ended");
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === "ping") ws.send("pong");
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }
}
