import { env } from "cloudflare:workers";
import { r2Storage } from "@miaobu/storage";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { parseConfig, siteUrl } from "../src/env.ts";
import { missingHashes } from "../src/services/blobs/missing.ts";
import { deletePrefix } from "../src/services/projects/delete.ts";
import { createProject, newUser, sha256 } from "./helpers.ts";

describe("parseConfig", () => {
  const base = { ...env, MIAOBU_MAX_FILE_BYTES: "10", MIAOBU_MAX_FILES: "5", MIAOBU_TOKEN_TTL_DAYS: "1" };

  it("takes the base domain, scheme and port from MIAOBU_SITES_URL", () => {
    const local = parseConfig({ ...base, MIAOBU_SITES_URL: "http://localhost:8788" } as Env);
    expect(siteUrl(local, "a.localhost")).toBe("http://a.localhost:8788");
    expect(local.sitesBase).toBe("localhost");
    const secrets = {
      MIAOBU_SESSION_SECRET: "a-production-session-secret-of-enough-length",
      MIAOBU_ENCRYPTION_KEY: btoa("a production key of 32 bytes!!!!"),
    };
    const prod = parseConfig({
      ...base,
      ...secrets,
      MIAOBU_SITES_URL: "https://miaobu.app",
    } as unknown as Env);
    expect(prod.sitesBase).toBe("miaobu.app");
    expect(siteUrl(prod, "a.miaobu.app")).toBe("https://a.miaobu.app");
    expect(prod.tokenTtlMs).toBe(86_400_000);
  });

  it("refuses the development session and encryption keys outside localhost", () => {
    expect(() => parseConfig({ ...base, MIAOBU_SITES_URL: "https://miaobu.app" } as unknown as Env)).toThrow(
      /development values/,
    );
    expect(() => parseConfig({ ...base, MIAOBU_ENCRYPTION_KEY: "c2hvcnQ=" } as unknown as Env)).toThrow(
      /MIAOBU_ENCRYPTION_KEY/,
    );
  });

  it("fails loudly on a malformed limit", () => {
    expect(() => parseConfig({ ...base, MIAOBU_MAX_FILES: "many" } as unknown as Env)).toThrow(
      /MIAOBU_MAX_FILES/,
    );
  });
});

describe("missingHashes", () => {
  it("answers across chunk boundaries, once per hash, only for the given project", async () => {
    const { token } = await newUser();
    const project = await createProject(token);
    const other = await createProject(token);
    const hashes = await Promise.all(Array.from({ length: 2500 }, (_, i) => sha256(`blob ${i}`)));
    const stored = hashes.filter((_, i) => i % 2 === 1);
    const insert = (projectId: string, hash: string) =>
      env.DB.prepare("insert into blobs (project_id, hash, size, created_at) values (?, ?, 1, 0)").bind(
        projectId,
        hash,
      );
    await env.DB.batch(stored.map((h) => insert(project.id, h)));
    // The same hashes in another project must not count.
    await env.DB.batch(hashes.map((h) => insert(other.id, h)));

    const db = drizzle(env.DB);
    const missing = await missingHashes({ db }, project.id, [...hashes, ...hashes.slice(0, 10)]);
    expect(missing).toEqual(hashes.filter((_, i) => i % 2 === 0));
    expect(await missingHashes({ db }, other.id, hashes)).toEqual([]);
  });
});

describe("deletePrefix", () => {
  it("deletes only under the prefix", async () => {
    await Promise.all([
      env.STORAGE.put("projects/p1/a", "1"),
      env.STORAGE.put("projects/p1/b/c", "2"),
      env.STORAGE.put("projects/p10/a", "3"),
    ]);
    expect(await deletePrefix(r2Storage(env.STORAGE), "projects/p1/")).toBe(2);
    expect((await env.STORAGE.list({ prefix: "projects/p1" })).objects.map((o) => o.key)).toEqual([
      "projects/p10/a",
    ]);
  });
});
