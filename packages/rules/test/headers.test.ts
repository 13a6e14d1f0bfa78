import { describe, expect, it } from "vitest";
import { parseHeaders } from "../src/headers.ts";

describe("parseHeaders: Pages' documented forms", () => {
  it("parses blocks of indented headers, comments, absolute URLs and removals", () => {
    const text = [
      "# This is a comment",
      "/secure/page",
      "  X-Frame-Options: DENY",
      "  X-Content-Type-Options: nosniff",
      "  Referrer-Policy: no-referrer",
      "",
      "/static/*",
      "  Access-Control-Allow-Origin: *",
      "  X-Robots-Tag: nosnippet",
      "",
      "https://myproject.pages.dev/*",
      "  X-Robots-Tag: noindex",
      "",
      "/*.jpg",
      "  ! Content-Type",
      "/movies/:title",
      "  x-movie-name: You are watching :title",
    ].join("\n");
    const parsed = parseHeaders(text);
    expect(parsed.problems).toEqual([]);
    expect(parsed.rules).toEqual([
      {
        pattern: "/secure/page",
        set: [
          { name: "x-frame-options", value: "DENY" },
          { name: "x-content-type-options", value: "nosniff" },
          { name: "referrer-policy", value: "no-referrer" },
        ],
        unset: [],
        line: 2,
      },
      {
        pattern: "/static/*",
        set: [
          { name: "access-control-allow-origin", value: "*" },
          { name: "x-robots-tag", value: "nosnippet" },
        ],
        unset: [],
        line: 7,
      },
      {
        pattern: "https://myproject.pages.dev/*",
        set: [{ name: "x-robots-tag", value: "noindex" }],
        unset: [],
        line: 11,
      },
      { pattern: "/*.jpg", set: [], unset: ["content-type"], line: 14 },
      {
        pattern: "/movies/:title",
        set: [{ name: "x-movie-name", value: "You are watching :title" }],
        unset: [],
        line: 16,
      },
    ]);
  });

  it("joins a header given twice in one block, keeps colons in values, lowercases host and names", () => {
    const parsed = parseHeaders(
      "https://:sub.Example.com/café\n  Link: </a>; rel=preload\n  LINK: </b>; rel=preload\n  X-Time: 12:30",
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.rules[0]).toEqual({
      pattern: "https://:sub.example.com/caf%C3%A9",
      set: [
        { name: "link", value: "</a>; rel=preload, </b>; rel=preload" },
        { name: "x-time", value: "12:30" },
      ],
      unset: [],
      line: 1,
    });
  });
});

describe("parseHeaders: Pages' own reading", () => {
  it("removes a header only with `! Name`; `!Name` is an invalid line", () => {
    const parsed = parseHeaders("/a\n  ! X-One\n  !X-Two\n  X-Three: 3");
    expect(parsed.rules[0]).toMatchObject({ unset: ["x-one"], set: [{ name: "x-three", value: "3" }] });
    expect(parsed.problems).toEqual([
      { file: "_headers", line: 3, message: expect.stringMatching(/Name: value/) },
    ]);
  });

  it("lets a later block for the same pattern replace the earlier one, in its place", () => {
    const parsed = parseHeaders("/*\n  X-A: 1\n/b\n  X-B: 2\n/*\n  X-C: 3");
    expect(parsed.rules.map((r) => [r.pattern, r.set.map((h) => h.name)])).toEqual([
      ["/*", ["x-c"]],
      ["/b", ["x-b"]],
    ]);
    expect(parsed.problems[0]?.message).toMatch(/replaces the one for \/\* at line 1/);
  });

  it("reads `//path` as a path, as Pages does", () => {
    expect(parseHeaders("//a\n  X-A: 1").rules[0]?.pattern).toBe("//a");
  });
});

describe("parseHeaders: problems", () => {
  it.each([
    ["  X-A: b", /URL pattern/],
    ["/a\n  no colon here", /Name: value/],
    ["/a\n  X Bad: b", /not a valid header name/],
    ["/a\n  : b", /name is missing/],
    ["/a\n  X-Empty:", /has no value/],
    ["/a\n  X-Bad: a\u0001b", /control/],
    ["/a\n  X-Bad: 日本", /Latin-1/],
    ["/a\n  ! bad name", /not a valid header name to remove/],
    ["http://example.com/*\n  X-A: b", /must begin with https/],
    ["https://example.com:8443/*\n  X-A: b", /Ports are not supported/],
    ["/a/*/b/*\n  X-A: b", /one splat/],
    ["/empty", /No headers/],
  ])("%j", (text, message) => {
    const parsed = parseHeaders(text);
    expect(parsed.rules).toEqual([]);
    // A block left with no valid header is reported as well, after the bad line.
    expect(
      parsed.problems.filter((p) => !p.message.startsWith("No headers") || text === "/empty"),
    ).toHaveLength(1);
    expect(parsed.problems[0]?.file).toBe("_headers");
    expect(parsed.problems[0]?.message).toMatch(message);
  });

  it("skips the headers of a block whose URL is invalid with one report", () => {
    const parsed = parseHeaders("http://x/\n  A: b\n  C: d\n/ok\n  E: f");
    expect(parsed.problems.map((p) => p.line)).toEqual([1]);
    expect(parsed.rules.map((r) => r.pattern)).toEqual(["/ok"]);
  });

  it("keeps 100 rules and reports where it stopped", () => {
    const text = Array.from({ length: 102 }, (_, i) => `/p${i}\n  X-N: ${i}`).join("\n");
    const parsed = parseHeaders(text);
    expect(parsed.rules).toHaveLength(100);
    expect(parsed.problems).toEqual([
      { file: "_headers", line: 201, message: expect.stringMatching(/Only 100/) },
    ]);
  });

  it("refuses a line longer than 2,000 characters", () => {
    const parsed = parseHeaders(`/a\n  X-Long: ${"v".repeat(2_000)}\n  X-Ok: 1`);
    expect(parsed.problems[0]).toMatchObject({ line: 2, message: expect.stringMatching(/longer than 2000/) });
    expect(parsed.rules[0]?.set).toEqual([{ name: "x-ok", value: "1" }]);
  });
});
