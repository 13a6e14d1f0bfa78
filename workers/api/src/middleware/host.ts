import { requestHost } from "@miaobu/edge";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { problem } from "../errors.ts";

/**
 * A malformed `Host` (`x:abc`, `%00`, two ports, two Host headers) is the client's mistake: a 400 before any
 * code parses the request's URL, rather than a 500 with a stack in the log.
 */
export const validHost = createMiddleware<AppEnv>(async (c, next) => {
  if (requestHost(c.req.raw) === null) {
    return problem(c, "bad_request", "The Host header is malformed: send a host name and an optional port.");
  }
  await next();
});
