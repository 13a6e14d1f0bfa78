import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/client.ts";
import type { DeploymentStatus, LogLine } from "../api/types.ts";
import { parseAnsi, type Segment } from "../lib/ansi.ts";
import { openLogStream } from "../lib/log-stream.ts";
import { ErrorMessage } from "./error-message.tsx";

// Past this many lines only the last ones are drawn; the download has all of them.
const MAX_SHOWN = 5000;

type Connection = "connecting" | "live" | "reconnecting" | "ended";

const CONNECTION_LABEL: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost, reconnecting…",
  ended: "Finished",
};

async function fetchText(id: string): Promise<LogLine[]> {
  const res = await fetch(`/api/v1/deployments/${encodeURIComponent(id)}/logs`, {
    credentials: "same-origin",
  });
  if (!res.ok) throw new ApiError(res.status, "logs", `Could not load the log (${res.status}).`, [], null);
  const text = await res.text();
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => ({ t: 0, stream: "stdout", text: line }));
}

// Parsed once per line: every new batch re-renders the list, and parsing is the costly part.
const parsed = new WeakMap<LogLine, Segment[]>();

function segmentsOf(line: LogLine): Segment[] {
  let segments = parsed.get(line);
  if (!segments) {
    segments = parseAnsi(line.text);
    parsed.set(line, segments);
  }
  return segments;
}

function LogRow({ line }: { line: LogLine }) {
  return (
    <div class={`line ${line.stream}`}>
      {segmentsOf(line).map((s, i) => (
        <span key={i} class={s.className || undefined} style={s.style || undefined}>
          {s.text}
        </span>
      ))}
    </div>
  );
}

/**
 * A deployment's build log: streamed live while it builds (resuming after a drop), the stored text once it
 * has finished. It follows the newest line unless the reader scrolls up.
 */
export function LogViewer({
  deploymentId,
  final,
  onEnd,
}: {
  deploymentId: string;
  final: boolean;
  onEnd: (status: DeploymentStatus) => void;
}) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [connection, setConnection] = useState<Connection>(final ? "ended" : "connecting");
  const [error, setError] = useState<ApiError | null>(null);
  const [following, setFollowing] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;
  // Whether the deployment was already final when the page opened: then the stored text is the log.
  const startedFinal = useRef(final);

  useEffect(() => {
    setLines([]);
    setError(null);
    const loadText = () =>
      fetchText(deploymentId).then(setLines, (e: unknown) =>
        setError(e instanceof ApiError ? e : new ApiError(0, "logs", String(e), [], null)),
      );
    if (startedFinal.current) {
      void loadText();
      return;
    }
    return openLogStream(deploymentId, {
      onLines: (more) => setLines((current) => current.concat(more)),
      onState: setConnection,
      onEnd: (status, sawAnyBatch) => {
        // The live batches are kept for an hour after the end; later, the stored text has them.
        if (!sawAnyBatch) void loadText();
        onEndRef.current(status);
      },
    });
  }, [deploymentId]);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && following) el.scrollTop = el.scrollHeight;
  }, [lines, following]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
  };

  const shown = lines.length > MAX_SHOWN ? lines.slice(-MAX_SHOWN) : lines;
  return (
    <section class="log-section" aria-labelledby="log-title">
      <div class="log-head">
        <h2 id="log-title">Build log</h2>
        <span class={`conn ${connection}`} role="status" data-connection={connection}>
          {CONNECTION_LABEL[connection]}
        </span>
        <a
          class="button small"
          href={`/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs`}
          download={`${deploymentId}.log`}
        >
          Download
        </a>
      </div>
      <ErrorMessage error={error} />
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls, so keyboard users must reach it */}
      <div class="log" ref={box} onScroll={onScroll} role="log" aria-label="Build log output" tabIndex={0}>
        {lines.length > MAX_SHOWN && (
          <div class="line system">
            {lines.length - MAX_SHOWN} earlier lines are not shown here; download the log for all of them.
          </div>
        )}
        {shown.map((line, i) => (
          <LogRow key={lines.length - shown.length + i} line={line} />
        ))}
        {lines.length === 0 && !error && (
          <div class="line system">
            {connection === "ended" ? "This log is empty." : "Waiting for output…"}
          </div>
        )}
      </div>
      {!following && (
        <button
          type="button"
          class="small follow"
          onClick={() => {
            setFollowing(true);
          }}
        >
          Follow the newest lines
        </button>
      )}
    </section>
  );
}
