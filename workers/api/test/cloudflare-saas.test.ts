import { env } from "cloudflare:workers";
import { domains } from "@miaobu/db";
import { r2Storage } from "@miaobu/storage";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { configOf, type Deps } from "../src/env.ts";
import {
  certificateOf,
  issueCertificate,
  renewDueCertificates,
} from "../src/services/certificates/manage.ts";
import { removeDomain } from "../src/services/domains/manage.ts";
import { addDomain, pointDomain, uniqueHost, verify } from "./domains-helpers.ts";
import { createProject, newUser } from "./helpers.ts";

const API = env.TEST_CLOUDFLARE_API_URL;

/** Service dependencies with Cloudflare for SaaS as the certificate provider. */
function cloudflareDeps(now: () => number = Date.now, apiToken = "test-cloudflare-token"): Deps {
  const config = configOf(env);
  return {
    db: drizzle(env.DB),
    storage: r2Storage(env.STORAGE),
    now,
    config: {
      ...config,
      domains: {
        ...config.domains,
        tlsProvider: "cloudflare",
        cloudflare: { apiUrl: API, zoneId: "test-zone", apiToken },
      },
    },
  };
}

async function verifiedDomain() {
  const alice = await newUser();
  const project = await createProject(alice.token);
  const host = uniqueHost();
  await pointDomain(await addDomain(alice.token, project.id, host));
  expect((await verify(alice.token, project.id, host)).status).toBe("verified");
  const row = await drizzle(env.DB).select().from(domains).where(eq(domains.hostname, host)).get();
  if (!row) throw new Error("no domain row");
  return { alice, project, host, row };
}

const setSsl = (id: string, ssl: Record<string, unknown>) =>
  fetch(`${new URL(API).origin}/__ssl/${id}`, { method: "POST", body: JSON.stringify(ssl) });
const requests = async () =>
  (await (await fetch(`${new URL(API).origin}/__requests`)).json()) as {
    method: string;
    path: string;
    body: unknown;
  }[];

describe("Cloudflare for SaaS custom hostnames", () => {
  it("creates the hostname, polls it by cron until active, and deletes it with the domain", async () => {
    const { alice, project, host, row } = await verifiedDomain();
    const pending = await issueCertificate(cloudflareDeps(), row);
    expect(pending).toMatchObject({ provider: "cloudflare", status: "pending", lastError: null });
    const id = pending.externalId ?? "";
    expect(id).not.toBe("");
    expect(
      (await requests()).find(
        (r) => r.method === "POST" && (r.body as { hostname: string }).hostname === host,
      ),
    ).toMatchObject({
      path: "/client/v4/zones/test-zone/custom_hostnames",
      body: { hostname: host, ssl: { method: "http", type: "dv" } },
    });

    await setSsl(id, {
      status: "active",
      certificates: [{ issued_on: "2026-11-01T00:00:00Z", expires_on: "2027-01-30T00:00:00Z" }],
    });
    await renewDueCertificates(cloudflareDeps(() => Date.now() + 10 * 60_000));
    const after = await certificateOf(cloudflareDeps(), row.id);
    expect(after).toMatchObject({
      status: "issued",
      expiresAt: Date.parse("2027-01-30T00:00:00Z"),
      nextAttemptAt: null,
    });

    await removeDomain(cloudflareDeps(), alice.id, project.id, host);
    expect(
      (await requests()).some((r) => r.method === "DELETE" && r.path.endsWith(`/custom_hostnames/${id}`)),
    ).toBe(true);
  });

  it("reports Cloudflare's validation errors and its API errors, with a retry time", async () => {
    const { row } = await verifiedDomain();
    const pending = await issueCertificate(cloudflareDeps(), row);
    await setSsl(pending.externalId ?? "", {
      status: "pending_validation",
      validation_errors: [{ message: "caa_error: letsencrypt.org is not allowed" }],
    });
    const failed = await issueCertificate(cloudflareDeps(), row);
    expect(failed.status).toBe("failed");
    expect(failed.lastError).toContain("caa_error");
    expect(failed.nextAttemptAt).toBeGreaterThan(Date.now());

    const { row: other } = await verifiedDomain();
    const refused = await issueCertificate(cloudflareDeps(Date.now, "wrong-token"), other);
    expect(refused).toMatchObject({
      status: "failed",
      lastError: "Cloudflare answered: Authentication error (10000)",
    });
  });
});
