import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidHost, requestHost } from "../src/host.ts";

describe("isValidHost", () => {
  it.each([
    "localhost",
    "localhost:8787",
    "my-site.localhost:8788",
    "Example.COM",
    "example.com.",
    "a_b.example.com",
    "127.0.0.1:80",
    "[::1]:8787",
    "[2001:db8::1]",
    "xn--bcher-kva.example",
  ])("accepts %s", (host) => {
    expect(isValidHost(host)).toBe(true);
  });

  it.each([
    "",
    "x:abc",
    "%00",
    "ex%41mple.com",
    "a:1:2",
    "a, b",
    "a b",
    "[::1",
    "a/b",
    "a@b",
    "a?b",
    "a#b",
    "a\\b",
    "x.localhost:99999",
    "x.localhost:",
    ":8787",
    "a..b",
    ".a",
    "[]",
    "a".repeat(300),
  ])("refuses %j", (host) => {
    expect(isValidHost(host)).toBe(false);
  });

  it("accepts only what URL parses as a host alone, with no path, query or user", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (host) => {
        if (!isValidHost(host)) return;
        const url = new URL(`http://${host}/`);
        expect({ path: url.pathname, search: url.search, user: url.username }).toEqual({
          path: "/",
          search: "",
          user: "",
        });
      }),
    );
  });
});

describe("requestHost", () => {
  const request = (url: string, host?: string) =>
    ({ url, headers: new Headers(host === undefined ? {} : { host }) }) as Pick<Request, "url" | "headers">;

  it("is the Host header, or the URL's authority without one", () => {
    expect(requestHost(request("http://site.localhost:8788/x", "site.localhost:8788"))).toBe(
      "site.localhost:8788",
    );
    expect(requestHost(request("http://site.localhost/x"))).toBe("site.localhost");
  });

  it("is null for a malformed Host, whatever the URL", () => {
    expect(requestHost(request("http://x:abc/p", "x:abc"))).toBeNull();
    expect(requestHost(request("http://a/b/p", "a/b"))).toBeNull();
    expect(requestHost(request("http://a, b/p", "a, b"))).toBeNull();
    expect(requestHost(request("http://%00/p"))).toBeNull();
  });
});
