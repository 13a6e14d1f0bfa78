import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createRouter } from "../src/index.ts";
import { createProject, setRoute, storeDeployment, uniqueSlug } from "./seed.ts";

const PASSWORD = "open sesame 123";

/** A request as workerd hands it over for a raw `Host` header it could not make a valid URL of. */
function withRawHost(host: string): Request {
  const request = new Request("http://localhost/index.html", { headers: { host } });
  Object.defineProperty(request, "url", { value: `http://${host}/index.html` });
  return request;
}

describe("a malformed Host", () => {
  it.each(["x:abc", "%00", "a:1:2", "a, b", "a/b", "[::1", "x.localhost:99999"])(
    "%j is a small plain 400, never a 500 with a stack",
    async (host) => {
      const error = vi.spyOn(console, "error");
      const res = await createRouter().fetch(withRawHost(host), env);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await res.text()).toBe("400 Bad Request");
      expect(error).not.toHaveBeenCalled();
      error.mockRestore();
    },
  );
});

describe("preview password guesses", () => {
  async function protectedPreview(): Promise<string> {
    const slug = uniqueSlug("guess");
    const projectId = await createProject(slug, { previewPassword: PASSWORD });
    const { deploymentId } = await storeDeployment(projectId, { "/index.html": "secret" });
    await setRoute(`feature--${slug}.localhost`, projectId, deploymentId, "branch");
    return `feature--${slug}.localhost`;
  }

  function routerWith(vars: Record<string, string>) {
    const router = createRouter({ edgeCache: false });
    const testEnv: Env = Object.assign({}, env, vars);
    return (host: string, password: string, ip = "198.51.100.1") =>
      router.fetch(
        new Request(`http://${host}/__miaobu/login`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip },
          body: new URLSearchParams({ password, next: "/" }).toString(),
        }),
        testEnv,
      );
  }

  async function expectLimited(res: Response, seconds: number): Promise<void> {
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe(String(seconds));
    expect(res.headers.get("set-cookie")).toBeNull();
    const body = await res.text();
    expect(body).toContain('role="alert"');
    expect(body).toContain(`Too many attempts. Try again in ${seconds} seconds.`);
  }

  it("are limited per client address, with growing delays, and a success forgets them", async () => {
    const attempt = routerWith({
      MIAOBU_TRUST_CF_CONNECTING_IP: "true",
      MIAOBU_PREVIEW_LOCKOUT_ADDRESS: "2 1s 4s",
      MIAOBU_PREVIEW_LOCKOUT_HOST: "100 1s 4s",
    });
    const host = await protectedPreview();
    expect((await attempt(host, "wrong", "198.51.100.7")).status).toBe(401);
    expect((await attempt(host, PASSWORD, "198.51.100.7")).status).toBe(303);
    expect((await attempt(host, "wrong", "198.51.100.7")).status).toBe(401);
    expect((await attempt(host, "wrong", "198.51.100.7")).status).toBe(401);
    // Locked, even for the right password.
    await expectLimited(await attempt(host, PASSWORD, "198.51.100.7"), 1);
    // Another address is not.
    expect((await attempt(host, "wrong", "198.51.100.8")).status).toBe(401);
  });

  it("are limited per host, whichever address they come from", async () => {
    const attempt = routerWith({
      MIAOBU_TRUST_CF_CONNECTING_IP: "true",
      MIAOBU_PREVIEW_LOCKOUT_ADDRESS: "100 1s 4s",
      MIAOBU_PREVIEW_LOCKOUT_HOST: "3 1s 4s",
    });
    const host = await protectedPreview();
    for (let i = 0; i < 3; i++) expect((await attempt(host, "wrong", `203.0.113.${i}`)).status).toBe(401);
    await expectLimited(await attempt(host, "wrong", "203.0.113.99"), 1);
    expect((await attempt(await protectedPreview(), "wrong", "203.0.113.99")).status).toBe(401);
  });

  it("cannot be spread over made-up addresses on the local platform", async () => {
    const attempt = routerWith({
      MIAOBU_TRUST_CF_CONNECTING_IP: "false",
      MIAOBU_PREVIEW_LOCKOUT_ADDRESS: "2 1s 4s",
      MIAOBU_PREVIEW_LOCKOUT_HOST: "100 1s 4s",
    });
    const host = await protectedPreview();
    expect((await attempt(host, "wrong", "192.0.2.1")).status).toBe(401);
    expect((await attempt(host, "wrong", "192.0.2.2")).status).toBe(401);
    await expectLimited(await attempt(host, "wrong", "192.0.2.3"), 1);
  });
});
