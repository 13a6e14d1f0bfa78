// Custom domains end to end against real servers on loopback: DNS from pebble-challtestsrv (through a DoH
// bridge), certificates from Pebble validating http-01 through the router's challenge path, and renewal
// by the API Worker's own cron handler.
import { createHash, createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDns, type TestDns } from "../support/dns.ts";
import { makeTestCa, pebblePort, startPebble, type TestPebble } from "../support/pebble.ts";
import { ADMIN_PASSWORD, getSite, startTestPlatform, type TestPlatform } from "../support/platform.ts";

let t: TestPlatform;
let dns: TestDns;
let pebble: TestPebble;
let token: string;

async function api<T>(method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${t.platform.apiUrl}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: json === undefined ? null : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function setDns(action: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${dns.managementUrl}/${action}`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

interface Domain {
  hostname: string;
  status: string;
  records: { type: string; name: string; value: string }[];
}
interface Certificate {
  status: string;
  expiresAt: string | null;
  notBefore: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

/** A project with one ready production deployment serving `text`. */
async function projectWithSite(text: string): Promise<string> {
  const name = `shop-${randomBytes(4).toString("hex")}`;
  expect((await api("POST", "/api/v1/projects", { name })).status).toBe(201);
  const bytes = Buffer.from(text);
  const hash = createHash("sha256").update(bytes).digest("hex");
  const created = await api<{ deployment: { id: string }; missing: string[] }>(
    "POST",
    `/api/v1/projects/${name}/deployments`,
    { files: [{ path: "index.html", hash, size: bytes.byteLength }] },
  );
  expect(created.status).toBe(201);
  const id = created.body.deployment.id;
  const put = await fetch(`${t.platform.apiUrl}/api/v1/deployments/${id}/blobs/${hash}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  expect(put.status).toBe(201);
  expect((await api("POST", `/api/v1/deployments/${id}/finalize`)).status).toBe(200);
  return name;
}

/** Adds a domain, creates its TXT and an A record at `address`, and verifies it. */
async function verifiedDomain(project: string, address = "127.0.0.1"): Promise<string> {
  const hostname = `www.d${randomBytes(5).toString("hex")}.example`;
  const added = await api<{ domain: Domain }>("POST", `/api/v1/projects/${project}/domains`, { hostname });
  expect(added.status).toBe(201);
  const txt = added.body.domain.records.find((r) => r.type === "TXT");
  await setDns("set-txt", { host: `${txt?.name}.`, value: txt?.value });
  await setDns("add-a", { host: `${hostname}.`, addresses: [address] });
  const verified = await api<{ domain: Domain }>(
    "POST",
    `/api/v1/projects/${project}/domains/${hostname}/verify`,
  );
  expect(verified.body.domain.status).toBe("verified");
  return hostname;
}

const certificateOf = async (project: string, hostname: string) =>
  (
    await api<{ certificate: Certificate }>(
      "GET",
      `/api/v1/projects/${project}/domains/${hostname}/certificate`,
    )
  ).body.certificate;

beforeAll(async () => {
  const ca = await makeTestCa();
  dns = await startTestDns();
  const port = await pebblePort();
  t = await startTestPlatform(
    {
      MIAOBU_DOH_URL: dns.dohUrl,
      MIAOBU_ACME_DIRECTORY: `https://127.0.0.1:${port}/dir`,
      MIAOBU_ACME_EMAIL: "ops@example.com",
    },
    { acmeCaBundle: ca.caPem },
  );
  // Certificates valid 20 days are within the 30-day renewal window as soon as they are issued.
  pebble = await startPebble(ca, {
    port,
    httpPort: t.routerPort,
    dnsServer: dns.dnsServer,
    validityDays: 20,
  });
  // The platform's target (`cname.localhost`) lives on loopback, where the router listens.
  await setDns("add-a", { host: "cname.localhost.", addresses: ["127.0.0.1"] });
  const login = await api<{ token: string }>("POST", "/api/v1/auth/login", {
    email: "admin@localhost",
    password: ADMIN_PASSWORD,
  });
  token = login.body.token;
}, 120_000);

afterAll(async () => {
  pebble?.stop();
  dns?.stop();
  await t?.stop();
});

describe("custom domains with automatic TLS", () => {
  it("serves a verified domain, gets its certificate through the router's challenge path and renews it by cron", async () => {
    const project = await projectWithSite("<h1>shop</h1>");
    const hostname = await verifiedDomain(project);
    const site = await getSite(t, hostname, "/");
    expect(site.status).toBe(200);
    expect(site.body).toBe("<h1>shop</h1>");
    expect(site.headers["x-robots-tag"]).toBeUndefined();

    const issued = await api<{ certificate: Certificate }>(
      "POST",
      `/api/v1/projects/${project}/domains/${hostname}/certificate`,
    );
    expect(issued.status).toBe(200);
    expect(issued.body.certificate).toMatchObject({ status: "issued", lastError: null });

    const download = await api<{ certificate: string; privateKey: string }>(
      "GET",
      `/api/v1/projects/${project}/domains/${hostname}/certificate/download`,
    );
    const x509 = new X509Certificate(download.body.certificate);
    expect(x509.subjectAltName).toContain(`DNS:${hostname}`);
    expect(x509.checkPrivateKey(createPrivateKey(download.body.privateKey))).toBe(true);

    // Within 30 days of expiry: the cron handler renews it.
    const before = await certificateOf(project, hostname);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await t.platform.runScheduled();
    const after = await certificateOf(project, hostname);
    expect(after.status).toBe("issued");
    expect(Date.parse(after.notBefore ?? "")).toBeGreaterThan(Date.parse(before.notBefore ?? ""));
  });

  it("explains a failed challenge and schedules a retry", async () => {
    const project = await projectWithSite("<h1>elsewhere</h1>");
    const hostname = await verifiedDomain(project);
    // The name now points somewhere the router does not listen.
    await setDns("clear-a", { host: `${hostname}.` });
    await setDns("add-a", { host: `${hostname}.`, addresses: ["127.0.0.2"] });
    const res = await api<{ certificate: Certificate }>(
      "POST",
      `/api/v1/projects/${project}/domains/${hostname}/certificate`,
    );
    expect(res.status).toBe(200);
    expect(res.body.certificate.status).toBe("failed");
    expect(res.body.certificate.lastError).toContain("could not fetch the challenge");
    expect(Date.parse(res.body.certificate.nextAttemptAt ?? "")).toBeGreaterThan(Date.now());
    const download = await api("GET", `/api/v1/projects/${project}/domains/${hostname}/certificate/download`);
    expect(download.status).toBe(404);
  });
});
