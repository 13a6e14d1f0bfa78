import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkDeploymentPath } from "../src/paths.ts";

describe("checkDeploymentPath", () => {
  it.each([
    ["index.html", "/index.html"],
    ["assets/app.js", "/assets/app.js"],
    ["café/ü.html", "/café/ü.html"],
    [".well-known/security.txt", "/.well-known/security.txt"],
    ["a..b/c", "/a..b/c"],
  ])("accepts %j as %j", (raw, path) => {
    expect(checkDeploymentPath(raw)).toEqual({ path });
  });

  it.each([
    ["", /empty/],
    ["../etc/passwd", /'\.\.'/],
    ["a/../../b", /'\.\.'/],
    ["./a", /'\.'/],
    ["/etc/passwd", /absolute/],
    ["C:/Windows/x", /drive/],
    ["a\\b", /backslash/],
    ["a\u0000b", /NUL/],
    ["a\nb", /control/],
    ["a//b", /empty segment/],
    ["a/", /empty segment/],
    ["x".repeat(1025), /longer/],
  ])("refuses %j", (raw, reason) => {
    const result = checkDeploymentPath(raw);
    expect("problem" in result && result.problem).toMatch(reason);
  });

  it("never accepts a path that escapes the folder", () => {
    const segment = fc.constantFrom("a", "b", "..", ".", "", "c.html");
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        const result = checkDeploymentPath(segments.join("/"));
        if ("path" in result) {
          expect(result.path.split("/").slice(1)).not.toContain("..");
          expect(result.path.split("/").slice(1)).not.toContain(".");
          expect(result.path.split("/").slice(1)).not.toContain("");
        }
      }),
    );
  });
});
