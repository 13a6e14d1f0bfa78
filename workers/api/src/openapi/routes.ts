import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { VERSION } from "../routes/health.ts";
import { openApiDocument } from "./document.ts";
import { referenceCsp, referencePage } from "./reference.ts";

let cached: { origin: string; document: Record<string, unknown>; html: string } | undefined;

function documentFor(origin: string) {
  if (cached?.origin !== origin) {
    const document = openApiDocument(VERSION, origin);
    cached = { origin, document, html: referencePage(document) };
  }
  return cached;
}

/** `/api/v1/openapi.json` and `/api/v1/docs`, mounted at `/api/v1`. */
export const openApiRoutes = new Hono<AppEnv>()
  .get("/openapi.json", (c) => c.json(documentFor(new URL(c.req.url).origin).document))
  .get("/docs", async (c) => {
    c.header("Content-Security-Policy", await referenceCsp());
    return c.html(documentFor(new URL(c.req.url).origin).html);
  });
