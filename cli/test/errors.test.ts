import { describe, expect, it } from "vitest";
import { ApiError, ConnectionError, describeError, formatProblem, UsageError } from "../src/errors";

describe("formatProblem", () => {
  it.each([
    [
      "uses the detail without its final period",
      404,
      { code: "not_found", detail: "No project named foo." },
      "No project named foo",
    ],
    [
      "appends the errors entries",
      422,
      {
        code: "invalid_input",
        detail: "Some paths are not safe.",
        errors: [
          { field: "files[3].path", message: "the path contains '..'" },
          { field: "files[7].path", message: "the path is absolute" },
        ],
      },
      "Some paths are not safe: files[3].path: the path contains '..'; files[7].path: the path is absolute",
    ],
    [
      "caps a long list of errors",
      422,
      {
        detail: "Bad",
        errors: Array.from({ length: 8 }, (_, i) => ({ field: `f${i}`, message: "bad" })),
      },
      "Bad: f0: bad; f1: bad; f2: bad; f3: bad; f4: bad; and 3 more",
    ],
    [
      "tells an expired token to log in",
      401,
      { code: "token_expired", detail: "Expired." },
      "your login has expired: run `miaobu login`",
    ],
    [
      "tells a revoked token to log in",
      401,
      { code: "unauthorized", detail: "Invalid token." },
      "the API refused your token (revoked or unknown): run `miaobu login`",
    ],
    [
      "keeps wrong credentials as they are",
      401,
      { code: "invalid_credentials", detail: "Wrong email or password." },
      "Wrong email or password",
    ],
    [
      "reveals nothing but the request id for a 500",
      500,
      { code: "internal", detail: "Internal error.", requestId: "req_123" },
      "the Miaobu API failed with status 500 (request id req_123)",
    ],
    ["falls back to the title", 413, { title: "Payload too large" }, "Payload too large"],
    ["falls back to the status", 502, { detail: undefined }, "the Miaobu API failed with status 502"],
  ])("%s", (_name, status, problem, line) => {
    expect(formatProblem(status, problem)).toBe(line);
  });

  it("uses the command's own line for a 404", () => {
    expect(
      formatProblem(404, { code: "not_found", detail: "Not found." }, { notFound: 'project "x" not found' }),
    ).toBe('project "x" not found');
  });
});

describe("describeError", () => {
  it("maps errors to a line and an exit code", () => {
    expect(describeError(new ApiError(409, { code: "conflict", detail: "Taken." }))).toEqual({
      message: "Taken",
      exitCode: 1,
      code: "conflict",
    });
    expect(describeError(new UsageError("bad"))).toEqual({ message: "bad", exitCode: 2, code: "usage" });
    expect(describeError(new ConnectionError("http://localhost:8787", new Error("ECONNREFUSED")))).toEqual({
      message: "cannot reach the Miaobu API at http://localhost:8787: is `npm start` running?",
      exitCode: 1,
      code: "unreachable",
    });
    expect(describeError(new TypeError("x is undefined")).message).toBe(
      "unexpected failure: x is undefined (set MIAOBU_DEBUG=1 for details)",
    );
  });
});
