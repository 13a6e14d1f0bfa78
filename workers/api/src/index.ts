import { Hono } from "hono";

const app = new Hono<{ Bindings: Env }>();
app.get("/healthz", async (c) => {
  const r = await c.env.DB.prepare("select count(*) as n from users").first<{ n: number }>();
  return c.json({ ok: true, users: r?.n });
});
export default app;
