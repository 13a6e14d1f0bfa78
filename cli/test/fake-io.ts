import { PassThrough } from "node:stream";
import type { Io } from "../src/output";

/** Streams that collect what `main` writes, for in-process runs. */
export function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const io: Io = { stdout, stderr, stdin, env };
  return { io, stdout: () => out, stderr: () => err };
}
