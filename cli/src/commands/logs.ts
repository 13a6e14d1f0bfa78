import { FINAL_STATUSES } from "@miaobu/shared/statuses";
import type { ApiClient } from "../api";
import type { Command, CommandContext } from "../command";
import { CliError, EXIT_ERROR, EXIT_OK } from "../errors";

/** Statuses a deployment never leaves. */
const FINAL: ReadonlySet<string> = new Set(FINAL_STATUSES);

const POLL_MS = 1000;
const MAX_RECONNECTS = 8;

interface LogLine {
  text: string;
}

type LogMessage = { type: "batch"; seq: number; lines: LogLine[] } | { type: "end"; status: string };

/** How `followLog` reaches the log: tests inject these. */
export interface FollowOptions {
  write: (text: string) => void;
  /** `poll` forces the text endpoint (what Node without a global WebSocket gets anyway). */
  transport?: "auto" | "poll";
  sleep?: (ms: number) => Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Prints a build's log as it comes until the build ends and returns its final status. Streams over the log
 * WebSocket, resuming after the last batch seen when the connection drops; where this Node has no global
 * WebSocket (Node 20), polls the text endpoint instead.
 */
export async function followLog(
  client: ApiClient,
  deploymentId: string,
  options: FollowOptions,
): Promise<string> {
  const { deployment } = await client.getDeployment(deploymentId);
  if (FINAL.has(deployment.status)) {
    // Finished builds: the whole text is in storage; the socket only keeps a log for a while after the end.
    const { text } = await client.buildLog(deploymentId);
    options.write(text);
    return deployment.status;
  }
  if (options.transport === "poll" || typeof globalThis.WebSocket !== "function") {
    return poll(client, deploymentId, options);
  }
  return stream(client, deploymentId, options);
}

async function poll(client: ApiClient, deploymentId: string, options: FollowOptions): Promise<string> {
  let printed = 0;
  for (;;) {
    const { text, status } = await client.buildLog(deploymentId);
    if (text.length > printed) {
      options.write(text.slice(printed));
      printed = text.length;
    }
    if (FINAL.has(status)) return status;
    await (options.sleep ?? sleep)(POLL_MS);
  }
}

async function stream(client: ApiClient, deploymentId: string, options: FollowOptions): Promise<string> {
  let after = 0;
  let written = 0;
  let failures = 0;
  for (;;) {
    const before = after;
    const outcome = await new Promise<{ status: string | null; error: string | null }>((resolve) => {
      const { url, headers } = client.logSocket(deploymentId, after);
      // Node's WebSocket (undici) takes headers, so the token never goes into the URL.
      const ws = new WebSocket(url, { headers });
      let status: string | null = null;
      let error: string | null = null;
      ws.addEventListener("message", (event) => {
        const message = JSON.parse(String(event.data)) as LogMessage;
        if (message.type === "end") {
          // Done: don't wait for the closing handshake, which a client may take seconds to finish.
          status = message.status;
          resolve({ status, error });
          ws.close();
        } else if (message.seq > after) {
          after = message.seq;
          const text = message.lines.map((line) => `${line.text}\n`).join("");
          written += text.length;
          options.write(text);
        }
      });
      ws.addEventListener("error", (event) => {
        error = (event as { message?: string }).message ?? "WebSocket error";
        // A failed handshake may never be followed by "close".
        resolve({ status, error });
      });
      ws.addEventListener("close", () => resolve({ status, error }));
    });
    if (outcome.status !== null) return outcome.status;
    failures = after > before ? 0 : failures + 1;
    if (failures > MAX_RECONNECTS) {
      throw new CliError(
        `lost the log stream of ${deploymentId}: ${outcome.error ?? "the connection kept closing"}`,
      );
    }
    // The build may have ended while we were away and its socket may be gone: ask before reconnecting.
    const { deployment } = await client.getDeployment(deploymentId);
    if (FINAL.has(deployment.status)) {
      // The stored text is the batches' lines in order, so what we have not printed is its tail.
      const { text } = await client.buildLog(deploymentId);
      options.write(text.slice(written));
      return deployment.status;
    }
    await (options.sleep ?? sleep)(Math.min(10_000, 250 * 2 ** failures));
  }
}

/** Follows a build to its end, then says how it ended; the exit code is 0 only for a ready build. */
export async function followToEnd(
  context: CommandContext,
  client: ApiClient,
  deploymentId: string,
): Promise<number> {
  const { io, out } = context;
  const status = await followLog(client, deploymentId, {
    write: (text) => {
      if (!out.json) io.stdout.write(text);
    },
    transport: io.env.MIAOBU_LOG_TRANSPORT === "poll" ? "poll" : "auto",
  });
  const { deployment } = await client.getDeployment(deploymentId);
  out.result({ deployment });
  if (status === "ready") {
    out.note(`Build ${deploymentId} is ready: ${deployment.url}`);
    return EXIT_OK;
  }
  const reason = deployment.errorMessage ? `: ${deployment.errorMessage}` : "";
  io.stderr.write(`Build ${deploymentId} ${status}${reason}\n`);
  return EXIT_ERROR;
}

export const logs: Command = {
  name: "logs",
  summary: "Print a build's log, or follow it live",
  description: [
    "Without --follow, prints the log so far. With --follow, prints lines as they come until the build",
    "ends, and exits 0 if it became ready, 1 if it failed or was canceled.",
  ].join("\n"),
  positionals: [{ name: "deploymentId", required: true, description: "The deployment's id, e.g. dpl_…" }],
  options: {
    follow: { type: "boolean", short: "f", description: "Stream the log until the build ends" },
  },
  examples: ["miaobu logs dpl_01jd3k5x9q2mzr8t", "miaobu logs dpl_01jd3k5x9q2mzr8t --follow"],
  async run(context, { values, positionals }) {
    const [deploymentId = ""] = positionals;
    const client = await context.client();
    if (values.follow === true) return followToEnd(context, client, deploymentId);
    const { text, status } = await client.buildLog(deploymentId);
    if (!context.out.json) context.io.stdout.write(text);
    context.out.result({ deploymentId, status, log: text });
    return EXIT_OK;
  },
};
