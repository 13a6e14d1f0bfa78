import { describe, expect, it } from "vitest";
import { isId, newId } from "../src/ids.ts";
import { hashPassword, verifyPassword } from "../src/password.ts";

describe("ids", () => {
  it("are prefixed and recognised", () => {
    const id = newId("project");
    expect(id).toMatch(/^prj_[0-9a-z]{26}$/);
    expect(isId("project", id)).toBe(true);
    expect(isId("deployment", id)).toBe(false);
  });

  it("sort by creation time", () => {
    const ids = [0, 1, 1_000, 86_400_000, 1_795_000_000_000].map((t) => newId("deployment", t));
    expect([...ids].sort()).toEqual(ids);
  });

  it("do not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId("user", 1)));
    expect(ids.size).toBe(10_000);
  });
});

describe("passwords", () => {
  it("verify only the password they were made from", async () => {
    const stored = await hashPassword("s3cret pass");
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect(await verifyPassword("s3cret pass", stored)).toBe(true);
    expect(await verifyPassword("s3cret pasS", stored)).toBe(false);
    expect(await verifyPassword("s3cret pass", "garbage")).toBe(false);
  });

  it("salt every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });
});
