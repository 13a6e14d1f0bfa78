import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../src/scheduled.ts";
import {
  addDomain,
  type DomainJson,
  dns,
  dropTxt,
  pointDomain,
  uniqueHost,
  verify,
} from "./domains-helpers.ts";
import { api, createProject, deploy, expectProblem, file, newUser, routesOf } from "./helpers.ts";

const site = async (text: string) => [await file("index.html", text)];

describe("adding a domain", () => {
  it("normalizes the hostname and lists the TXT and CNAME records to create", async () => {
    const alice = await newUser();
    const project = await createProject(alice.token);
    const host = uniqueHost();
    const domain = await addDomain(alice.token, project.id, `${host.toUpperCase()}.`);
    expect(domain).toMatchObject({ hostname: host, apex: false, status: "pending", serving: false });
    const txt = domain.records.find((r) => r.type === "TXT");
    expect(txt?.name).toBe(`_miaobu-challenge.${host}`);
    expect(txt?.value).toMatch(/^miaobu-verify=[0-9a-z]{32}$/);
    expect(domain.records.find((r) => r.type === "CNAME")).toMatchObject({
      name: host,
      value: "cname.localhost",
    });

    const idn = await addDomain(alice.token, project.id, "Bücher.example");
    expect(idn.hostname).toBe("xn--bcher-kva.example");
    expect(idn.apex).toBe(true);
    expect(idn.records.map((r) => r.type)).toEqual(["TXT", "ALIAS"]);

    const list = await api(`/api/v1/projects/${project.id}/domains`, { token: alice.token });
    const { domains } = await list.json<{ domains: DomainJson[] }>();
    expect(domains.map((d) => d.hostname)).toEqual([host, "xn--bcher-kva.example"].sort());

    const again = await api(`/api/v1/projects/${project.id}/domains`, {
      token: alice.token,
      json: { hostname: host },
    });
    await expectProblem(again, 409, "conflict");
  });

  it.each([
    ["*.example.com", "wildcard"],
    ["localhost", "platform"],
    ["my-site.localhost", "platform"],
    ["127.0.0.1", "IP"],
    ["example", "two labels"],
    ["https://www.example.com/", "bare hostname"],
    ["-bad.example.com", "label"],
  ])("refuses %s", async (hostname, why) => {
    const alice = await newUser();
    const project = await createProject(alice.token);
    const res = await api(`/api/v1/projects/${project.id}/domains`, {
      token: alice.token,
      json: { hostname },
    });
    const problem = await expectProblem(res, 422, "invalid_input");
    expect(problem.detail).toContain(why);
  });

  it("needs an admin token, and hides other owners' projects and domains", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const project = await createProject(alice.token);
    const host = uniqueHost();
    await addDomain(alice.token, project.id, host);
    await expectProblem(await api(`/api/v1/projects/${project.id}/domains`), 401, "unauthorized");
    for (const path of [
      `/api/v1/projects/${project.id}/domains`,
      `/api/v1/projects/${project.id}/domains/${host}`,
    ]) {
      await expectProblem(await api(path, { token: bob.token }), 404, "not_found");
    }
    const created = await api("/api/v1/tokens", {
      token: alice.token,
      json: { name: "ci", scopes: ["deploy"] },
    });
    const { token: deployToken } = await created.json<{ token: string }>();
    await expectProblem(
      await api(`/api/v1/projects/${project.id}/domains`, { token: deployToken }),
      403,
      "insufficient_scope",
    );
    await expectProblem(
      await api(`/api/v1/projects/${project.id}/domains`, {
        token: deployToken,
        json: { hostname: uniqueHost() },
      }),
      403,
      "insufficient_scope",
    );
  });
});

describe("verification and routing", () => {
  it("stays pending and says why until the records exist, then serves production and follows it", async () => {
    const alice = await newUser();
    const project = await createProject(alice.token);
    const first = await deploy(alice.token, project.id, await site("one"));
    const host = uniqueHost();
    const domain = await addDomain(alice.token, project.id, host);

    const pending = await verify(alice.token, project.id, host);
    expect(pending.status).toBe("pending");
    expect(pending.detail).toContain(`no TXT record at _miaobu-challenge.${host}`);
    expect(pending.detail).toContain("no CNAME to cname.localhost");
    expect((await routesOf(project.id))[host]).toBeUndefined();

    await pointDomain(domain);
    const verified = await verify(alice.token, project.id, host);
    expect(verified).toMatchObject({ status: "verified", detail: null, serving: true });
    expect((await routesOf(project.id))[host]).toEqual({ deploymentId: first.id, kind: "custom" });

    // Production moves, the domain moves with it; a rollback moves it back.
    const second = await deploy(alice.token, project.id, await site("two"));
    expect((await routesOf(project.id))[host]?.deploymentId).toBe(second.id);
    const rolled = await api(`/api/v1/projects/${project.id}/rollback`, {
      method: "POST",
      token: alice.token,
    });
    expect(rolled.status).toBe(200);
    expect((await routesOf(project.id))[host]?.deploymentId).toBe(first.id);

    // Pinned, it stays; unpinned, it follows production again.
    const pin = await api(`/api/v1/projects/${project.id}/domains/${host}`, {
      method: "PATCH",
      token: alice.token,
      json: { deploymentId: second.id },
    });
    expect(pin.status).toBe(200);
    expect((await routesOf(project.id))[host]?.deploymentId).toBe(second.id);
    const third = await deploy(alice.token, project.id, await site("three"));
    expect((await routesOf(project.id))[host]?.deploymentId).toBe(second.id);
    await api(`/api/v1/projects/${project.id}/domains/${host}`, {
      method: "PATCH",
      token: alice.token,
      json: { deploymentId: null },
    });
    expect((await routesOf(project.id))[host]?.deploymentId).toBe(third.id);

    const removed = await api(`/api/v1/projects/${project.id}/domains/${host}`, {
      method: "DELETE",
      token: alice.token,
    });
    expect(removed.status).toBe(204);
    expect((await routesOf(project.id))[host]).toBeUndefined();
  });

  it("verifies an apex by its addresses matching the target's", async () => {
    const alice = await newUser();
    const project = await createProject(alice.token);
    await deploy(alice.token, project.id, await site("apex"));
    const host = uniqueHost("apex").split(".").slice(1).join(".");
    const domain = await addDomain(alice.token, project.id, host);
    await dns("set-txt", { host: `_miaobu-challenge.${host}.`, value: domain.records[0]?.value });
    await dns("add-a", { host: `${host}.`, addresses: ["192.0.2.99"] });
    await dns("add-a", { host: "cname.localhost.", addresses: ["192.0.2.10"] });
    const wrong = await verify(alice.token, project.id, host);
    expect(wrong.status).toBe("pending");
    expect(wrong.detail).toContain(`${host} points at 192.0.2.99, not at cname.localhost`);
    await dns("clear-a", { host: `${host}.` });
    await dns("add-a", { host: `${host}.`, addresses: ["192.0.2.10"] });
    expect((await verify(alice.token, project.id, host)).status).toBe("verified");
  });

  it("becomes misconfigured and stops serving when its TXT disappears, found by the cron", async () => {
    const alice = await newUser();
    const project = await createProject(alice.token);
    await deploy(alice.token, project.id, await site("one"));
    const host = uniqueHost();
    await pointDomain(await addDomain(alice.token, project.id, host));
    expect((await verify(alice.token, project.id, host)).status).toBe("verified");

    await dropTxt(host);
    await runScheduled(env, () => Date.now() + 60 * 60 * 1000);
    const res = await api(`/api/v1/projects/${project.id}/domains/${host}`, { token: alice.token });
    const { domain } = await res.json<{ domain: DomainJson }>();
    expect(domain).toMatchObject({ status: "misconfigured", serving: false });
    expect(domain.detail).toContain("no TXT record");
    expect((await routesOf(project.id))[host]).toBeUndefined();
  });
});

describe("takeover", () => {
  it("refuses another tenant's verified domain, and never verifies a second claim", async () => {
    const alice = await newUser();
    const mallory = await newUser();
    const aliceProject = await createProject(alice.token);
    const malloryProject = await createProject(mallory.token);
    await deploy(alice.token, aliceProject.id, await site("alice"));
    const host = uniqueHost();

    // Both claim it while pending; Mallory even copies Alice's records.
    const aliceDomain = await addDomain(alice.token, aliceProject.id, host);
    const malloryDomain = await addDomain(mallory.token, malloryProject.id, host);
    await pointDomain(aliceDomain);
    expect((await verify(alice.token, aliceProject.id, host)).status).toBe("verified");
    await dns("set-txt", { host: `_miaobu-challenge.${host}.`, value: malloryDomain.records[0]?.value });
    const refused = await verify(mallory.token, malloryProject.id, host);
    expect(refused.status).toBe("pending");
    expect(refused.detail).toContain("already verified by another project");
    expect((await routesOf(aliceProject.id))[host]?.kind).toBe("custom");

    const late = await api(`/api/v1/projects/${malloryProject.id}/domains`, {
      token: mallory.token,
      json: { hostname: host },
    });
    await expectProblem(late, 409, "conflict");
    const other = await newUser();
    const otherProject = await createProject(other.token);
    const res = await api(`/api/v1/projects/${otherProject.id}/domains`, {
      token: other.token,
      json: { hostname: host },
    });
    expect((await expectProblem(res, 409, "conflict")).detail).toContain("another project");
  });
});

describe("certificates", () => {
  it("refuses to order one for an unverified domain, and has nothing to show or download before", async () => {
    const alice = await newUser();
    const project = await createProject(alice.token);
    const host = uniqueHost();
    await addDomain(alice.token, project.id, host);
    const base = `/api/v1/projects/${project.id}/domains/${host}/certificate`;
    const status = await api(base, { token: alice.token });
    expect(await status.json()).toEqual({ certificate: null });
    await expectProblem(await api(base, { method: "POST", token: alice.token }), 409, "conflict");
    await expectProblem(await api(`${base}/download`, { token: alice.token }), 404, "not_found");
    const got = await api(`/api/v1/projects/${project.id}/domains/${host}`, { token: alice.token });
    expect((await got.json<{ domain: DomainJson }>()).domain).toMatchObject({ certificate: null });
  });

  it("keeps the key download to admin tokens of the owner", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const project = await createProject(alice.token);
    const host = uniqueHost();
    await addDomain(alice.token, project.id, host);
    const path = `/api/v1/projects/${project.id}/domains/${host}/certificate/download`;
    await expectProblem(await api(path, { token: bob.token }), 404, "not_found");
    const created = await api("/api/v1/tokens", {
      token: alice.token,
      json: { name: "ro", scopes: ["read"] },
    });
    const { token } = await created.json<{ token: string }>();
    await expectProblem(await api(path, { token }), 403, "insufficient_scope");
  });
});
