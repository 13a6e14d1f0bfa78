import { ENVIRONMENTS } from "@miaobu/db";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { requireAuth } from "../middleware/auth.ts";
import { listEnvVars, setEnvVar, unsetEnvVar } from "../services/env/vars.ts";
import { jsonBody, validate } from "../validation.ts";

export const setBody = z.strictObject({
  // The byte limit is checked by the service (413); the body limit bounds what is parsed at all.
  value: z.string(),
  secret: z.boolean().default(false),
});

const environmentParam = z.enum(ENVIRONMENTS);

function environmentOf(raw: string) {
  const parsed = environmentParam.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(
      "not_found",
      `There is no environment "${raw.slice(0, 40)}"; use production or preview.`,
    );
  }
  return parsed.data;
}

const keyOf = (raw: string) => raw.slice(0, 200);

/** Environment variables, mounted at `/api/v1/projects`: `/:project/env…`. */
export const envRoutes = new Hono<AppEnv>()
  .get("/:project/env", requireAuth, async (c) => {
    const variables = await listEnvVars(c.get("deps"), c.get("user").id, c.req.param("project"));
    return c.json({ variables });
  })
  .put(
    "/:project/env/:environment/:key",
    requireAuth,
    jsonBody(() => 512 * 1024),
    validate("json", setBody),
    async (c) => {
      const { value, secret } = c.req.valid("json");
      const variable = await setEnvVar(c.get("deps"), c.get("user").id, c.req.param("project"), {
        environment: environmentOf(c.req.param("environment")),
        key: keyOf(c.req.param("key")),
        value,
        secret,
      });
      return c.json({ variable });
    },
  )
  .delete("/:project/env/:environment/:key", requireAuth, async (c) => {
    await unsetEnvVar(
      c.get("deps"),
      c.get("user").id,
      c.req.param("project"),
      environmentOf(c.req.param("environment")),
      keyOf(c.req.param("key")),
    );
    return c.body(null, 204);
  });
