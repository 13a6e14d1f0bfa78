import { env } from "cloudflare:workers";
import { randomBase32 } from "@miaobu/shared";
import { expect } from "vitest";
import { api } from "./helpers.ts";

/** A domain as the API answers it. */
export interface DomainJson {
  id: string;
  hostname: string;
  apex: boolean;
  status: "pending" | "verified" | "misconfigured";
  detail: string | null;
  deploymentId: string | null;
  serving: boolean;
  records: { type: string; name: string; value: string; purpose: string }[];
  verifiedAt: string | null;
  checkedAt: string | null;
}

/** A hostname no other test uses. */
export const uniqueHost = (prefix = "www") => `${prefix}.d${randomBase32(10)}.example`;

/** Sets records on the loopback DNS server (pebble-challtestsrv's management API). */
export async function dns(action: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${env.TEST_DNS_MANAGEMENT_URL}/${action}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const fqdn = (host: string) => `${host}.`;

/** Creates the records the API asked for: the ownership TXT and a CNAME to the target. */
export async function pointDomain(domain: DomainJson): Promise<void> {
  const txt = domain.records.find((r) => r.type === "TXT");
  if (!txt) throw new Error("no TXT record asked for");
  await dns("set-txt", { host: fqdn(txt.name), value: txt.value });
  await dns("set-cname", { host: fqdn(domain.hostname), target: "cname.localhost." });
}

/** Removes the ownership TXT record. */
export const dropTxt = (hostname: string) =>
  dns("clear-txt", { host: fqdn(`_miaobu-challenge.${hostname}`) });

export async function addDomain(token: string, project: string, hostname: string): Promise<DomainJson> {
  const res = await api(`/api/v1/projects/${project}/domains`, { token, json: { hostname } });
  expect(res.status).toBe(201);
  return (await res.json<{ domain: DomainJson }>()).domain;
}

export async function verify(token: string, project: string, hostname: string): Promise<DomainJson> {
  const res = await api(`/api/v1/projects/${project}/domains/${hostname}/verify`, { method: "POST", token });
  expect(res.status).toBe(200);
  return (await res.json<{ domain: DomainJson }>()).domain;
}
