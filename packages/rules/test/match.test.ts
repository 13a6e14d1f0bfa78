import { describe, expect, it } from "vitest";
import { parseHeaders } from "../src/headers.ts";
import { applyHeaderMatches, compileRules, redirectLocation } from "../src/match.ts";
import { parseRedirects } from "../src/redirects.ts";

function redirects(text: string) {
  return compileRules({ version: 1, redirects: parseRedirects(text).rules, headers: [] });
}

function headers(text: string) {
  return compileRules({ version: 1, redirects: [], headers: parseHeaders(text).rules });
}

describe("redirect matching", () => {
  const rules = redirects(
    [
      "/dyn/* /from-splat/:splat 301",
      "/dyn/exact /static-wins 301",
      "/news/:year/:month/:date/:slug /blog/:year/:month/:date/:slug",
      "/blog/* https://blog.example/:splat",
      "/files/*.pdf /docs/:splat.pdf 308",
      "/first/* /one",
      "/first/second /two",
      "/caf%C3%A9 /coffee",
      "/:lang/about /about?lang=:lang",
    ].join("\n"),
  );

  it.each([
    // Below the first dynamic rule, a static rule no longer wins: rules are tried in file order, as on Pages.
    ["/dyn/exact", "/from-splat/exact", 301],
    ["/dyn/a/b/c", "/from-splat/a/b/c", 301],
    ["/dyn/", "/from-splat/", 301],
    ["/news/2024/01/02/hello", "/blog/2024/01/02/hello", 302],
    ["/blog/a/b", "https://blog.example/a/b", 302],
    ["/files/report.pdf", "/docs/report.pdf", 308],
    ["/first/second", "/one", 302],
    ["/first/other", "/one", 302],
    ["/caf%C3%A9", "/coffee", 302],
    ["/fr/about", "/about?lang=fr", 302],
  ])("%s → %s %s", (path, to, status) => {
    expect(rules.redirect(path)).toMatchObject({ to, status });
  });

  it.each(["/news/2024/01/hello", "/DYN/exact", "/files/report.txt", "/dyn", "/fr/de/about", "/café"])(
    "%s matches nothing",
    (path) => {
      expect(rules.redirect(path)).toBeNull();
    },
  );

  it("lets the first dynamic rule win among dynamic rules", () => {
    const r = redirects("/a/* /first\n/a/:x /second");
    expect(r.redirect("/a/b")?.to).toBe("/first");
  });

  it("substitutes placeholders as Pages does: each in pattern order, wherever its name appears", () => {
    const r = redirects(
      "/r/:b/:a /q/:a/:b\n/p/:ab/:a /x/:a/:ab\n/s/* /t/:splat\n/h/:id https://x.example/:id?id=:id",
    );
    expect(r.redirect("/r/1/2")?.to).toBe("/q/2/1");
    // `ab` comes first, so `:ab` is replaced before `:a` can eat its start.
    expect(r.redirect("/p/1/2")?.to).toBe("/x/2/1");
    // A splat starting with a slash leaves `//` in the destination, as on Pages.
    expect(r.redirect("/s//evil")?.to).toBe("/t//evil");
    expect(r.redirect("/h/7")?.to).toBe("https://x.example/7?id=7");
    // `:a` first rewrites `:ab` too: Pages' regular expression then has two `a` groups and never matches.
    expect(redirects("/p/:a/:ab /x").redirect("/p/1/2")).toBeNull();
  });
});

describe("redirect matching as Workers' asset server", () => {
  const workers = { platform: "workers", htmlHandlingNone: false } as const;
  const none = { platform: "workers", htmlHandlingNone: true } as const;

  it("collapses runs of `/` in a dynamic destination once filled in, unless it starts with scheme://", () => {
    const r = redirects(
      [
        "/static //kept//as/is",
        "/blog/* //example.com/:splat",
        "/s/* /t/:splat",
        "/h/* https://x.example//:splat",
      ].join("\n"),
    );
    expect(r.redirect("/blog/post", workers)?.to).toBe("/example.com/post");
    expect(r.redirect("/s//evil", workers)?.to).toBe("/t/evil");
    expect(r.redirect("/h/a//b", none)?.to).toBe("https://x.example/a//b");
    // Static rules are looked up as they are, and Pages keeps every slash.
    expect(r.redirect("/static", workers)?.to).toBe("//kept//as/is");
    expect(r.redirect("/blog/post")?.to).toBe("//example.com/post");
  });

  it("applies `…/ → …/index` rules only with html handling none, where they win over a later rule", () => {
    const r = redirects("/a/ /index.html 200\n/a/ /b 301\n/:x/ /:x/index");
    expect(r.redirect("/a/")).toMatchObject({ to: "/b", status: 301 });
    expect(r.redirect("/a/", workers)).toMatchObject({ to: "/b", status: 301 });
    expect(r.redirect("/a/", none)).toMatchObject({ to: "/index.html", status: 200 });
    expect(r.redirect("/c/", workers)).toBeNull();
    expect(r.redirect("/c/", none)?.to).toBe("/c/index");
  });
});

describe("redirectLocation", () => {
  const req = new URL("https://site.example/old?utm=1");
  it.each([
    ["/new", "/new?utm=1"],
    ["/new?page=2", "/new?page=2"],
    ["/new#top", "/new?utm=1#top"],
    ["/new?a=b#top", "/new?a=b#top"],
    ["https://other.example/x", "https://other.example/x?utm=1"],
    ["https://other.example/x?y=1#f", "https://other.example/x?y=1#f"],
    ["https://site.example/same", "/same?utm=1"],
    ["/ünï", "/%C3%BCn%C3%AF?utm=1"],
  ])("%s → %s", (to, location) => {
    expect(redirectLocation(to, req)).toBe(location);
  });
});

describe("header matching and merging", () => {
  const rules = headers(
    [
      "/*",
      "  X-Frame-Options: DENY",
      "  X-Shared: root",
      "/static/*",
      "  X-Shared: static",
      "  Cache-Control: public, max-age=31536000, immutable",
      "/static/private/*",
      "  ! X-Frame-Options",
      "  ! X-Shared",
      "/movies/:title",
      "  X-Movie: :title",
      "https://:sub.example.com/*",
      "  X-Sub: :sub / :splat",
    ].join("\n"),
  );

  function apply(host: string, path: string, initial: Record<string, string> = {}) {
    const h = new Headers(initial);
    applyHeaderMatches(h, rules.headers(host, path));
    return Object.fromEntries(h);
  }

  it("inherits every matching block; later blocks append to a header an earlier one set", () => {
    expect(
      apply("site.dev", "/static/app.js", { "cache-control": "public, max-age=0, must-revalidate" }),
    ).toEqual({
      "x-frame-options": "DENY",
      "x-shared": "root, static",
      "cache-control": "public, max-age=31536000, immutable",
    });
  });

  it("replaces what the server sent the first time a block sets a header", () => {
    expect(apply("site.dev", "/index.html", { "x-frame-options": "SAMEORIGIN" })).toMatchObject({
      "x-frame-options": "DENY",
    });
  });

  it("removes headers with ! Name, including ones earlier blocks set", () => {
    expect(apply("site.dev", "/static/private/a")).toEqual({
      "cache-control": "public, max-age=31536000, immutable",
    });
  });

  it("substitutes placeholders and splats into values, matching absolute patterns by host", () => {
    expect(apply("site.dev", "/movies/up")["x-movie"]).toBe("up");
    expect(apply("docs.example.com", "/a/b")["x-sub"]).toBe("docs / a/b");
    expect(apply("a.b.example.com", "/a")["x-sub"]).toBeUndefined();
    expect(apply("example.org", "/a")["x-sub"]).toBeUndefined();
  });
});
