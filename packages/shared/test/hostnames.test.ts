import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  branchHost,
  deploymentHost,
  normalizeHost,
  productionHost,
  slugifyBranch,
  slugProblem,
} from "../src/hostnames.ts";

describe("slugProblem", () => {
  it.each(["a", "my-site", "site2", "a1-b2-c3", "x".repeat(40)])("accepts %j", (slug) => {
    expect(slugProblem(slug)).toBeNull();
  });

  it.each([
    ["", /empty/],
    ["x".repeat(41), /longer than 40/],
    ["My-Site", /lowercase/],
    ["-site", /starting and ending/],
    ["site-", /starting and ending/],
    ["my_site", /lowercase letters/],
    ["my--site", /'--' is reserved/],
    ["sité", /lowercase letters/],
  ])("refuses %j", (slug, reason) => {
    expect(slugProblem(slug)).toMatch(reason);
  });
});

describe("slugifyBranch", () => {
  it.each([
    ["main", "main"],
    ["feature/login", "feature-login"],
    ["Fix--Bug__42", "fix-bug-42"],
    ["///", "branch"],
    ["dependabot/npm_and_yarn/some-very-long-package-name-1.2.3", "dependabot-npm-and-yarn-some"],
  ])("%j → %j", (branch, slug) => {
    expect(slugifyBranch(branch)).toBe(slug);
  });

  it("always yields a DNS-safe part without '--' of at most 28 characters", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (branch) => {
        const slug = slugifyBranch(branch);
        expect(slug).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
        expect(slug).not.toContain("--");
        expect(slug.length).toBeLessThanOrEqual(28);
      }),
    );
  });
});

describe("hostnames", () => {
  it("builds one label under the base for every kind", () => {
    expect(productionHost("site", "localhost")).toBe("site.localhost");
    expect(branchHost("feature/x", "site", "example.app")).toBe("feature-x--site.example.app");
    expect(deploymentHost("k3x9q2mz", "site", "example.app")).toBe("k3x9q2mz--site.example.app");
  });

  it.each([
    ["Site.LocalHost:8788", "site.localhost"],
    ["example.com.", "example.com"],
    ["example.com", "example.com"],
    ["[::1]:8788", "[::1]"],
  ])("normalizes %j to %j", (raw, host) => {
    expect(normalizeHost(raw)).toBe(host);
  });
});
