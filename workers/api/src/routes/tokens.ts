import { TOKEN_SCOPES } from "@miaobu/db";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { createToken, listTokens, revokeOwnToken } from "../services/tokens/manage.ts";
import { jsonBody, validate } from "../validation.ts";

export const createBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(TOKEN_SCOPES))
    .min(1)
    .max(TOKEN_SCOPES.length)
    .refine((list) => new Set(list).size === list.length, "scopes must not repeat"),
  expiresInDays: z.number().int().min(1).max(365).default(90),
});

/** `/api/v1/tokens`: the user's API tokens, with scopes and expiry. */
export const tokenRoutes = new Hono<AppEnv>()
  .get("/", requireAuth, async (c) => {
    const tokens = await listTokens(c.get("deps"), c.get("user").id, c.get("tokenId"));
    return c.json({ tokens });
  })
  .post("/", requireAuth, jsonBody(), validate("json", createBody), async (c) => {
    const created = await createToken(c.get("deps"), c.get("user").id, c.get("tokenId"), c.req.valid("json"));
    return c.json(created, 201);
  })
  .delete("/:id", requireAuth, async (c) => {
    const id = c.req.param("id");
    await revokeOwnToken(c.get("deps"), c.get("user").id, id.slice(0, 64));
    return c.body(null, 204);
  });
