import { describe, expect, it } from "vitest";
import { caaIdentitiesOf } from "../src/caa-identities.ts";
import { parseCaa } from "../src/services/certificates/caa.ts";
import { explainAcmeError } from "../src/services/certificates/explain.ts";
import { addDomain, dns, pointDomain, uniqueHost, verify } from "./domains-helpers.ts";
import { api, createProject, newUser } from "./helpers.ts";

describe("CAA", () => {
  it.each([
    ['0 issue "letsencrypt.org"', { tag: "issue", value: "letsencrypt.org" }],
    [
      '128 issuewild "pki.goog; cansignhttpexchanges=yes"',
      { tag: "issuewild", value: "pki.goog; cansignhttpexchanges=yes" },
    ],
    [
      "\\# 21 00 05 69 73 73 75 65 6c 65 74 73 65 6e 63 72 79 70 74 2e 6f 72 67",
      { tag: "issue", value: "letsencrypt.org" },
    ],
  ])("parses %s", (data, expected) => {
    expect(parseCaa(data)).toEqual(expected);
  });

  it("knows the identities of common directories and takes configured ones first", () => {
    expect(caaIdentitiesOf("https://acme-staging-v02.api.letsencrypt.org/directory", "")).toEqual([
      "letsencrypt.org",
    ]);
    expect(caaIdentitiesOf("https://127.0.0.1:14000/dir", "")).toEqual([]);
    expect(caaIdentitiesOf("https://127.0.0.1:14000/dir", "Example.CA, other.ca")).toEqual([
      "example.ca",
      "other.ca",
    ]);
  });

  it.each([
    ["urn:ietf:params:acme:error:caa: CAA record forbids issuance", "CAA records"],
    ["Error creating new order :: too many certificates already issued", "rate limit"],
    ["Connection refused to 192.0.2.1:80", "could not fetch the challenge"],
    ["something else", "could not be issued"],
  ])("explains %s", (message, phrase) => {
    expect(explainAcmeError(new Error(message))).toContain(phrase);
  });

  it("refuses to order when the domain's CAA records exclude the CA, saying which record to add", async () => {
    const alice = await newUser();
    const project = await createProject(alice.token);
    const host = uniqueHost();
    await pointDomain(await addDomain(alice.token, project.id, host));
    expect((await verify(alice.token, project.id, host)).status).toBe("verified");
    // On the parent: the closest record set up the tree applies.
    await dns("add-caa", {
      host: `${host.split(".").slice(1).join(".")}.`,
      policies: [{ tag: "issue", value: "pki.goog" }],
    });
    const res = await api(`/api/v1/projects/${project.id}/domains/${host}/certificate`, {
      method: "POST",
      token: alice.token,
    });
    expect(res.status).toBe(200);
    const { certificate } = await res.json<{ certificate: { status: string; lastError: string } }>();
    expect(certificate.status).toBe("failed");
    expect(certificate.lastError).toContain("CAA records do not allow this certificate authority");
    expect(certificate.lastError).toContain('0 issue "letsencrypt.org"');
  });
});
