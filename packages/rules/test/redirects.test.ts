import { describe, expect, it } from "vitest";
import { parseRedirects } from "../src/redirects.ts";
import { PAGES_LIMITS } from "../src/types.ts";

const one = (line: string) => parseRedirects(line);

describe("parseRedirects: valid lines (Pages' documented forms)", () => {
  it.each([
    ["/home301 / 301", { from: "/home301", to: "/", status: 301 }],
    ["/home302 / 302", { from: "/home302", to: "/", status: 302 }],
    ["/querystrings /?query=string 301", { from: "/querystrings", to: "/?query=string", status: 301 }],
    ["/twitch https://twitch.tv", { from: "/twitch", to: "https://twitch.tv/", status: 302 }],
    ["/trailing /trailing/ 301", { from: "/trailing", to: "/trailing/", status: 301 }],
    ["/notrailing/ /nottrailing 301", { from: "/notrailing/", to: "/nottrailing", status: 301 }],
    ["/page/ /page2/#fragment 301", { from: "/page/", to: "/page2/#fragment", status: 301 }],
    [
      "/blog/* https://blog.my.domain/:splat",
      { from: "/blog/*", to: "https://blog.my.domain/:splat", status: 302 },
    ],
    ["/movies/:title /media/:title 303", { from: "/movies/:title", to: "/media/:title", status: 303 }],
    ["/a /b 307", { from: "/a", to: "/b", status: 307 }],
    ["/a /b 308", { from: "/a", to: "/b", status: 308 }],
    ["/api/* /api-v2/:splat 200", { from: "/api/*", to: "/api-v2/:splat", status: 200 }],
    ["  /indented\t/tabs   301  ", { from: "/indented", to: "/tabs", status: 301 }],
    ["/café /coffee", { from: "/caf%C3%A9", to: "/coffee", status: 302 }],
    ["/a/../b /c", { from: "/b", to: "/c", status: 302 }],
    ["/source#frag /dest", { from: "/source", to: "/dest", status: 302 }],
    // What Pages also accepts: an inline comment, a source without its slash, protocol-relative targets.
    ["/a /b 301 # moved", { from: "/a", to: "/b", status: 301 }],
    ["/a /b\t#note", { from: "/a", to: "/b", status: 302 }],
    ["/a /b#frag", { from: "/a", to: "/b#frag", status: 302 }],
    ["a /b", { from: "/a", to: "/b", status: 302 }],
    ["//a /b", { from: "//a", to: "/b", status: 302 }],
    ["/a //evil.example/x", { from: "/a", to: "//evil.example/x", status: 302 }],
    ["/a /../b/./c", { from: "/a", to: "/b/c", status: 302 }],
    ["/a /café?x=é", { from: "/a", to: "/caf%C3%A9?x=%C3%A9", status: 302 }],
    ["/a /b 301.0", { from: "/a", to: "/b", status: 301 }],
    ["/* /index.html?x 200", { from: "/*", to: "/index.html?x", status: 200 }],
  ])("%j", (line, rule) => {
    const parsed = one(line);
    expect(parsed.problems).toEqual([]);
    expect(parsed.rules).toEqual([{ ...rule, line: 1 }]);
  });

  it("skips comments and blank lines, keeping line numbers", () => {
    const parsed = parseRedirects("# comment\n\n/a /b\r\n   # indented comment\n/c /d 301\n");
    expect(parsed.problems).toEqual([]);
    expect(parsed.rules.map((r) => [r.from, r.line])).toEqual([
      ["/a", 3],
      ["/c", 5],
    ]);
  });
});

describe("parseRedirects: invalid lines are reported with their line number", () => {
  it.each([
    ["/only-one", /2 fields|got 1 fields/],
    ["/a /b 301 extra", /got 4 fields/],
    ["/a /b 299", /Unknown status 299/],
    ["/a /b 404", /Unknown status 404/],
    ["/a /b abc", /Unknown status abc/],
    ["https://example.com/a /b", /source must be a path/],
    ["/a b", /destination must be a path/],
    ["/a http://example.com/x", /destination must be a path/],
    ["/a ftp://x", /destination must be a path/],
    ["/a /b 418#glued", /Unknown status 418#glued/],
    ["/a https://example.com 200", /200 rewrite can only point to a path/],
    ["/* /index.html 200", /loop/],
    ["/* /index 301", /loop/],
  ])("%j", (line, message) => {
    const parsed = parseRedirects(`# first\n${line}`);
    expect(parsed.rules).toEqual([]);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatchObject({ file: "_redirects", line: 2 });
    expect(parsed.problems[0]?.message).toMatch(message);
  });

  it.each([
    ["/a/*/b/* /c", /one splat/],
    ["/:id/:id /c", /repeat a name/],
    ["/*/:splat /c", /repeat a name/],
    ["/q/:a/:ab /c", /repeat a name/],
  ])("keeps but reports %j, which Pages accepts and never matches", (line, message) => {
    const parsed = parseRedirects(line);
    expect(parsed.rules).toHaveLength(1);
    expect(parsed.problems[0]?.message).toMatch(message);
  });

  it("keeps `…/ → …/index` flagged and reported: a loop but where Workers' html handling is none", () => {
    const parsed = parseRedirects("/blog/ /blog/index.html\n/blog/ /b 301\n/ /index 200");
    expect(parsed.rules).toEqual([
      { from: "/blog/", to: "/blog/index.html", status: 302, line: 1, indexLoop: true },
      // Workers refuses the flagged rule before marking its source, so this one is no duplicate.
      { from: "/blog/", to: "/b", status: 301, line: 2 },
      { from: "/", to: "/index", status: 200, line: 3, indexLoop: true },
    ]);
    expect(parsed.problems.map((p) => [p.line, p.message])).toEqual([
      [1, expect.stringMatching(/loop .* unless the project's HTML handling is none/)],
      [3, expect.stringMatching(/loop/)],
    ]);
  });

  it("lets a refused 200 rewrite shadow a later rule for the same source, as Pages does", () => {
    const parsed = parseRedirects("/a https://example.com/ 200\n/a /b 301");
    expect(parsed.rules).toEqual([]);
    expect(parsed.problems.map((p) => p.line)).toEqual([1, 2]);
  });

  it("keeps the first rule for a source and reports the duplicate", () => {
    const parsed = parseRedirects("/a /first\n/a /second 301");
    expect(parsed.rules.map((r) => r.to)).toEqual(["/first"]);
    expect(parsed.problems).toEqual([
      { file: "_redirects", line: 2, message: expect.stringMatching(/already exists/) },
    ]);
  });

  it("refuses a line longer than 1,000 characters", () => {
    const parsed = parseRedirects(`/a /${"x".repeat(1_000)}`);
    expect(parsed.rules).toEqual([]);
    expect(parsed.problems[0]?.message).toMatch(/longer than 1000/);
    expect(parseRedirects(`/a /${"x".repeat(995)}`).rules).toHaveLength(1);
  });
});

describe("parseRedirects: limits", () => {
  it("keeps 2,000 static rules and reports the rest", () => {
    const lines = Array.from({ length: 2_003 }, (_, i) => `/s${i} /d${i}`);
    const parsed = parseRedirects(lines.join("\n"));
    expect(parsed.rules).toHaveLength(PAGES_LIMITS.maxStaticRedirects);
    expect(parsed.problems.map((p) => p.line)).toEqual([2_001, 2_002, 2_003]);
  });

  it("keeps 100 dynamic rules and stops at the 101st", () => {
    const lines = Array.from({ length: 105 }, (_, i) => `/d${i}/* /x/:splat`);
    const parsed = parseRedirects(lines.join("\n"));
    expect(parsed.rules).toHaveLength(100);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatchObject({
      line: 101,
      message: expect.stringMatching(/remaining 5 rules/),
    });
  });

  it("counts static rules after the first dynamic one as dynamic, as Pages does", () => {
    const lines = ["/dyn/* /x", ...Array.from({ length: 100 }, (_, i) => `/s${i} /d${i}`)];
    const parsed = parseRedirects(lines.join("\n"));
    expect(parsed.rules).toHaveLength(100);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.line).toBe(101);
  });
});
