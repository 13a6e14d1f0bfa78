import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configPath, readConfig, requireToken, resolveConfig, writeConfig } from "../src/config";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "miaobu-config-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("where the config lives", () => {
  it("prefers MIAOBU_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config", () => {
    expect(configPath({ MIAOBU_CONFIG_DIR: "/a", XDG_CONFIG_HOME: "/b" })).toBe(
      path.join("/a", "config.json"),
    );
    expect(configPath({ XDG_CONFIG_HOME: "/b" })).toBe(path.join("/b", "miaobu", "config.json"));
    expect(configPath({})).toBe(path.join(homedir(), ".config", "miaobu", "config.json"));
  });
});

describe("reading and writing", () => {
  it("writes the file with mode 0600, in a folder it creates, and reads it back", async () => {
    const env = { XDG_CONFIG_HOME: path.join(dir, "xdg") };
    const config = {
      api: "http://localhost:8787",
      token: "mb_secret",
      email: "a@b.c",
      expiresAt: "2030-01-01T00:00:00Z",
    };
    const file = await writeConfig(env, config);
    expect(file).toBe(path.join(dir, "xdg", "miaobu", "config.json"));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readConfig(env)).toEqual(config);
  });

  it("tightens the mode of an existing file", async () => {
    const env = { MIAOBU_CONFIG_DIR: dir };
    await writeFile(path.join(dir, "config.json"), "{}", { mode: 0o644 });
    await writeConfig(env, { token: "mb_x" });
    expect((await stat(path.join(dir, "config.json"))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path.join(dir, "config.json"), "utf8"))).toEqual({ token: "mb_x" });
  });

  it("treats a missing file as empty, and names a corrupt one", async () => {
    expect(await readConfig({ MIAOBU_CONFIG_DIR: path.join(dir, "none") })).toEqual({});
    await mkdir(path.join(dir, "bad"));
    await writeFile(path.join(dir, "bad", "config.json"), "{nope");
    await expect(readConfig({ MIAOBU_CONFIG_DIR: path.join(dir, "bad") })).rejects.toThrow(
      `${path.join(dir, "bad", "config.json")} is not valid JSON`,
    );
  });

  it("ignores fields of the wrong type", async () => {
    await writeFile(path.join(dir, "config.json"), JSON.stringify({ api: 3, token: "mb_x", extra: true }));
    expect(await readConfig({ MIAOBU_CONFIG_DIR: dir })).toEqual({ token: "mb_x" });
  });
});

describe("resolveConfig", () => {
  const stored = {
    api: "http://stored:1/",
    token: "mb_file",
    email: "a@b.c",
    expiresAt: "2030-01-01T00:00:00Z",
  };

  it("uses the file, trimming the API's trailing slash", () => {
    expect(resolveConfig({}, stored)).toEqual({
      api: "http://stored:1",
      token: "mb_file",
      tokenSource: "file",
      email: "a@b.c",
      expiresAt: "2030-01-01T00:00:00Z",
    });
  });

  it("lets MIAOBU_API and MIAOBU_TOKEN win", () => {
    const resolved = resolveConfig({ MIAOBU_API: "https://api.example.com", MIAOBU_TOKEN: "mb_env" }, stored);
    expect(resolved).toMatchObject({ api: "https://api.example.com", token: "mb_env", tokenSource: "env" });
  });

  it("defaults to the local API with no token", () => {
    expect(resolveConfig({}, {})).toMatchObject({
      api: "http://localhost:8787",
      token: undefined,
      tokenSource: "none",
    });
  });

  it("requires a token that has not expired", () => {
    const now = Date.parse("2031-01-01T00:00:00Z");
    expect(() => requireToken(resolveConfig({}, {}))).toThrow("not logged in: run `miaobu login`");
    expect(() => requireToken(resolveConfig({}, stored), now)).toThrow(
      "your login has expired: run `miaobu login`",
    );
    expect(requireToken(resolveConfig({}, stored), Date.parse("2029-01-01T00:00:00Z"))).toBe("mb_file");
    // An environment token's expiry is the API's business.
    expect(requireToken(resolveConfig({ MIAOBU_TOKEN: "mb_env" }, stored), now)).toBe("mb_env");
  });
});
