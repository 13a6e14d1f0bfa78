import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { authenticateToken } from "../services/tokens/authenticate.ts";

/** Requires `Authorization: Bearer mb_…` and sets `user` and `tokenId`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    throw new ApiError(
      "unauthorized",
      "Send an API token as `Authorization: Bearer mb_…`; run `miaobu login`.",
    );
  }
  const { user, tokenId } = await authenticateToken(c.get("deps"), match[1]);
  c.set("user", user);
  c.set("tokenId", tokenId);
  await next();
});
