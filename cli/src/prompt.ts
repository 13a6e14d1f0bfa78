import { createInterface } from "node:readline/promises";
import { CliError } from "./errors";
import type { Io } from "./output";

/** True when a person can answer questions: stdin and stderr are both terminals. */
export function isInteractive(io: Io): boolean {
  return Boolean(io.stdin.isTTY && io.stderr.isTTY);
}

/** Asks one question on stderr and reads the answer line from stdin. */
export async function promptLine(io: Io, question: string): Promise<string> {
  const readline = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    return (await readline.question(question)).trim();
  } finally {
    readline.close();
  }
}

/** Asks for a secret without echoing it: raw mode, reading keys until Enter. Ctrl-C aborts. */
export function promptHidden(io: Io, question: string): Promise<string> {
  const { stdin, stderr } = io;
  const setRawMode = stdin.setRawMode?.bind(stdin);
  if (!setRawMode) return Promise.reject(new CliError("cannot hide input here: use --password-stdin"));
  stderr.write(question);
  setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let answer = "";
    const finish = (error?: CliError) => {
      stdin.off("data", onData);
      setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n" || char === "\u0004") return finish();
        if (char === "\u0003") return finish(new CliError("cancelled", { exitCode: 130, code: "cancelled" }));
        if (char === "\u007f" || char === "\b") answer = answer.slice(0, -1);
        else if (char >= " ") answer += char;
      }
    };
    stdin.on("data", onData);
  });
}

/** Reads all of stdin as text (for `--password-stdin`), without the final line break. */
export async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
