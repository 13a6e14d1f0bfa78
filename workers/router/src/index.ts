export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const r = await env.DB.prepare("select count(*) as n from users").first<{ n: number }>();
    return new Response(`router ${new URL(request.url).host} ${request.headers.get("host")} users=${r?.n}`);
  },
};
