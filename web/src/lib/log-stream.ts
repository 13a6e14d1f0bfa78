// The build log over the WebSocket of docs/api.md: batches numbered from 1, resumed after a drop with
// `?after=<last seq seen>` so nothing is lost or repeated, until the server sends `end`.
import type { DeploymentStatus, LogLine, LogMessage } from "../api/types.ts";

export interface LogStreamHandlers {
  onLines: (lines: LogLine[]) => void;
  onEnd: (status: DeploymentStatus, sawAnyBatch: boolean) => void;
  onState: (state: "connecting" | "live" | "reconnecting" | "ended") => void;
}

function parse(data: unknown): LogMessage | null {
  if (typeof data !== "string") return null;
  try {
    const value = JSON.parse(data) as LogMessage;
    return value.type === "batch" || value.type === "end" ? value : null;
  } catch {
    return null;
  }
}

/** Opens the log stream of a deployment; returns a function that closes it for good. */
export function openLogStream(deploymentId: string, handlers: LogStreamHandlers): () => void {
  let lastSeq = 0;
  let sawBatch = false;
  let ended = false;
  let closed = false;
  let attempt = 0;
  let socket: WebSocket | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (closed || ended) return;
    handlers.onState(attempt === 0 ? "connecting" : "reconnecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs/ws?after=${lastSeq}`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      handlers.onState("live");
    };
    ws.onmessage = (event: MessageEvent) => {
      const message = parse(event.data);
      if (!message) return;
      if (message.type === "batch") {
        // A batch at or below what we have was already shown (a replay racing a live send).
        if (message.seq <= lastSeq) return;
        lastSeq = message.seq;
        sawBatch = true;
        handlers.onLines(message.lines);
      } else {
        ended = true;
        handlers.onState("ended");
        handlers.onEnd(message.status, sawBatch);
        ws.close();
      }
    };
    ws.onclose = () => {
      socket = null;
      if (closed || ended) return;
      // Dropped before the end: come back for what was missed, backing off up to 10 s.
      attempt++;
      handlers.onState("reconnecting");
      retry = setTimeout(connect, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
    };
  };

  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    socket?.close();
  };
}
