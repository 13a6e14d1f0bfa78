import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  gitAddressProblem,
  gitHostProblem,
  gitUrlProblem,
  isHostAllowed,
  parseAllowedHosts,
  parseGitUrl,
  redactGitUrl,
} from "../src/git-url.ts";
import { formatIPv4 } from "../src/ip-address.ts";

const PRIVATE = /git URLs may not point at private or loopback addresses .*MIAOBU_GIT_ALLOWED_HOSTS/;

describe("parseGitUrl", () => {
  it.each([
    ["https://github.com/o/r.git", { scheme: "https", host: "github.com", port: 443 }],
    ["http://example.com:8080/r", { scheme: "http", host: "example.com", port: 8080 }],
    ["git://example.com/r.git", { scheme: "git", host: "example.com", port: 9418 }],
    ["git://EXAMPLE.com:9419/r.git", { scheme: "git", host: "example.com", port: 9419 }],
    ["http://[::1]/r", { scheme: "http", host: "[::1]", port: 80 }],
    ["git://[::ffff:127.0.0.1]/r", { scheme: "git", host: "[::ffff:7f00:1]", port: 9418 }],
    ["https://example.com./r", { scheme: "https", host: "example.com", port: 443 }],
    ["https://me:pw@example.com/r", { scheme: "https", host: "example.com", hasUserinfo: true }],
    ["git://me@example.com/r", { scheme: "git", host: "example.com", hasUserinfo: true }],
  ])("%j", (raw, expected) => {
    const parsed = parseGitUrl(raw);
    expect(parsed).toMatchObject({ ok: true, url: expected });
  });

  it.each([
    ["git@github.com:o/r.git", /ssh URLs are not supported yet/],
    ["ssh://git@github.com/o/r.git", /ssh URLs are not supported yet/],
    ["file:///etc", /file: URLs are not supported/],
    ["/srv/repo.git", /not a URL/],
    ["ext::sh -c touch% /tmp/x", /not a URL|not supported/],
    ["git:///r.git", /has no host/],
    ["git://exa%6dple.com/r", /not a valid host name/],
    ["git://ex ample.com/r", /not a URL|not a valid host name/],
    ["git://999.1.1.1/r", /not a valid IPv4 address/],
    ["git://1.2.3.4.5/r", /not a valid IPv4 address/],
  ])("refuses %j", (raw, problem) => {
    const parsed = parseGitUrl(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });
});

describe("parseAllowedHosts", () => {
  it.each([
    [undefined, []],
    ["", []],
    [" , ", []],
    ["127.0.0.1", [{ host: "127.0.0.1", port: null }]],
    [
      "127.0.0.1:9418, Localhost",
      [
        { host: "127.0.0.1", port: 9418 },
        { host: "localhost", port: null },
      ],
    ],
    [
      "[::1]:8080,::1,git.corp.",
      [
        { host: "::1", port: 8080 },
        { host: "::1", port: null },
        { host: "git.corp", port: null },
      ],
    ],
    ["0x7f000001", [{ host: "127.0.0.1", port: null }]],
  ])("%j", (raw, hosts) => {
    expect(parseAllowedHosts(raw)).toEqual(hosts);
  });

  it.each(["http://x", "x:y", "x:0", "x:70000", "[::1", "a b", "x/y"])("throws on %j", (raw) => {
    expect(() => parseAllowedHosts(raw)).toThrow(/MIAOBU_GIT_ALLOWED_HOSTS/);
  });
});

describe("gitHostProblem", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["0x7f000001", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["[::1]", "loopback"],
    ["[::ffff:127.0.0.1]", "127.0.0.1"],
    ["[::ffff:7f00:1]", "127.0.0.1"],
    ["[fe80::1]", "link-local"],
    ["[fd12::1]", "private"],
    ["169.254.169.254", "cloud metadata"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.0.1", "private"],
    ["100.64.1.1", "carrier-grade NAT"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["localhost", "loopback"],
    ["LOCALHOST.", "loopback"],
    ["git.localhost", "loopback"],
    ["metadata.google.internal", "not a public host name"],
    ["printer.local", "not a public host name"],
    ["gitserver", "not a public host name"],
  ])("refuses %j", (host, detail) => {
    const problem = gitHostProblem(host, 443, []);
    expect(problem).toMatch(PRIVATE);
    expect(problem).toContain(detail);
  });

  it.each(["github.com", "8.8.8.8", "[2606:4700::1111]", "192.0.2.10", "198.51.100.1", "203.0.113.80"])(
    "accepts %j",
    (host) => {
      expect(gitHostProblem(host, 443, [])).toBeNull();
    },
  );

  it("lets the operator allow a host, by any spelling of its address, on any or one port", () => {
    const allowed = parseAllowedHosts("127.0.0.1:9418,localhost,[::1]");
    expect(gitHostProblem("127.0.0.1", 9418, allowed)).toBeNull();
    expect(gitHostProblem("0x7f000001", 9418, allowed)).toBeNull();
    expect(gitHostProblem("127.0.0.1", 80, allowed)).toMatch(PRIVATE);
    expect(gitHostProblem("localhost", 1234, allowed)).toBeNull();
    expect(gitHostProblem("[::1]", 1, allowed)).toBeNull();
    expect(gitHostProblem("[0:0::1]", 1, allowed)).toBeNull();
    expect(gitHostProblem("git.localhost", 1, allowed)).toMatch(PRIVATE);
    expect(isHostAllowed("LOCALHOST.", 1, allowed)).toBe(true);
  });
});

describe("gitAddressProblem", () => {
  it("refuses a name that resolved to a private address, naming both", () => {
    const problem = gitAddressProblem("evil.example", "10.1.2.3", 443, []);
    expect(problem).toMatch(PRIVATE);
    expect(problem).toContain("evil.example");
    expect(problem).toContain("10.1.2.3");
  });

  it("accepts public addresses, allowed names and allowed addresses", () => {
    expect(gitAddressProblem("github.com", "140.82.121.4", 443, [])).toBeNull();
    expect(gitAddressProblem("github.com", "2606:50c0:8000::154", 443, [])).toBeNull();
    expect(gitAddressProblem("git.corp", "10.1.2.3", 443, parseAllowedHosts("git.corp"))).toBeNull();
    expect(gitAddressProblem("git.corp", "10.1.2.3", 443, parseAllowedHosts("10.1.2.3:443"))).toBeNull();
    expect(gitAddressProblem("git.corp", "10.1.2.3", 80, parseAllowedHosts("10.1.2.3:443"))).toMatch(PRIVATE);
  });

  it("refuses what is not an address", () => {
    expect(gitAddressProblem("x.example", "not-an-ip", 443, [])).toMatch(/not an IP address/);
  });
});

describe("gitUrlProblem", () => {
  it.each([
    ["https://ghp_secret@github.com/o/r.git", /credentials/],
    ["http://user:pw@example.com/r.git", /credentials/],
    ["git://me@example.com/r.git", /credentials/],
    ["http://127.0.0.1/r.git", PRIVATE],
    ["http://0x7f000001/r.git", PRIVATE],
    ["git://0x7f000001/r.git", PRIVATE],
    ["git://2130706433/r.git", PRIVATE],
    ["git://0177.0.0.1/r.git", PRIVATE],
    ["git://127.1/r.git", PRIVATE],
    ["http://[::1]/r.git", PRIVATE],
    ["git://[::ffff:127.0.0.1]/r.git", PRIVATE],
    ["http://169.254.169.254/latest/meta-data", PRIVATE],
    ["https://metadata.google.internal/r", PRIVATE],
    ["git@github.com:o/r.git", /ssh URLs/],
  ])("refuses %j", (raw, problem) => {
    expect(gitUrlProblem(raw, [])).toMatch(problem);
  });

  it("names the fix for credentials", () => {
    expect(gitUrlProblem("https://x:y@example.com/r", [])).toMatch(
      /secret.*GitHub integration|GitHub integration.*secret/,
    );
  });

  it("accepts public URLs and allowed hosts", () => {
    expect(gitUrlProblem("https://github.com/o/r.git", [])).toBeNull();
    expect(gitUrlProblem("git://127.0.0.1:9418/site.git", parseAllowedHosts("127.0.0.1:9418"))).toBeNull();
  });

  it("never accepts a dotted loopback, private or link-local address unless allowed", () => {
    const refused = fc.oneof(
      fc.integer({ min: 0x7f000000, max: 0x7fffffff }),
      fc.integer({ min: 0x0a000000, max: 0x0affffff }),
      fc.integer({ min: 0xa9fe0000, max: 0xa9feffff }),
      fc.integer({ min: 0xc0a80000, max: 0xc0a8ffff }),
    );
    fc.assert(
      fc.property(refused, fc.constantFrom("http", "https", "git"), (n, scheme) => {
        for (const host of [formatIPv4(n), String(n), `0x${n.toString(16)}`, `[::ffff:${formatIPv4(n)}]`]) {
          expect(gitUrlProblem(`${scheme}://${host}/r.git`, [])).toMatch(PRIVATE);
        }
        expect(
          gitUrlProblem(`${scheme}://${formatIPv4(n)}/r.git`, parseAllowedHosts(formatIPv4(n))),
        ).toBeNull();
      }),
    );
  });

  it("refuses or parses any string without throwing", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true })),
        (raw) => {
          const problem = gitUrlProblem(raw, []);
          expect(problem === null || typeof problem === "string").toBe(true);
        },
      ),
    );
  });
});

describe("redactGitUrl", () => {
  it.each([
    ["http://ghp_xxx@host/r.git", "http://***@host/r.git"],
    ["https://user:secret@github.com/o/r.git", "https://***@github.com/o/r.git"],
    ["git://a:b@c@host/r", "git://***@host/r"],
    ["https://github.com/o/r.git", "https://github.com/o/r.git"],
    ["https://github.com/o/r@v1.git", "https://github.com/o/r@v1.git"],
  ])("%j → %j", (raw, redacted) => {
    expect(redactGitUrl(raw)).toBe(redacted);
  });

  it("never leaves a password in the result", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_]{8,20}$/), (secret) => {
        expect(redactGitUrl(`https://x:${secret}@example.com/r.git`)).not.toContain(secret);
        expect(redactGitUrl(`https://${secret}@example.com/r.git`)).not.toContain(secret);
      }),
    );
  });
});
