import type { z } from "zod";

/** A JSON body checked by `schema`, with an example request. */
export const json = (schema: z.ZodType, example: unknown = {}, optional = false) => ({
  type: "json" as const,
  schema,
  optional,
  example,
});
