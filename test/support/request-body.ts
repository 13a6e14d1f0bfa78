// Node-only helpers of the test store servers (store-server.ts is also read inside workerd).
import type { IncomingMessage } from "node:http";

/** A request's whole body, or null when the client gave up before sending all of it (write nothing then). */
export function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", () => resolve(null));
    req.on("close", () => {
      if (!req.complete) resolve(null);
    });
  });
}
