import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BuildFailure } from "../src/clone.ts";
import { allowedGitHosts, type Lookup, vetGitUrl } from "../src/git-policy.ts";

const PRIVATE = /may not point at private or loopback addresses/;
const INFO_REFS = "info/refs?service=git-upload-pack";

/** A lookup that knows a few names and fails for the rest, like a resolver would. */
function fakeLookup(records: Record<string, string[]>): Lookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (host: string) => {
    asked.push(host);
    const found = records[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return found;
  };
  return Object.assign(lookup, { asked });
}

const noNetwork = fakeLookup({});

async function refusal(promise: Promise<unknown>): Promise<BuildFailure> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BuildFailure);
  return error as BuildFailure;
}

describe("vetGitUrl without the network", () => {
  it.each([
    "git://127.0.0.1/r.git",
    "git://0x7f000001/r.git",
    "git://2130706433/r.git",
    "git://127.1/r.git",
    "http://[::1]/r.git",
    "http://[::ffff:127.0.0.1]/r.git",
    "http://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/r.git",
    "git://localhost/r.git",
  ])("refuses %j before resolving or connecting", async (url) => {
    const failure = await refusal(vetGitUrl(url, { allowedHosts: [], lookup: noNetwork }));
    expect(failure.message).toMatch(PRIVATE);
    expect(failure.message).toContain("MIAOBU_GIT_ALLOWED_HOSTS");
  });

  it("refuses credentials on git:// and unsupported URLs", async () => {
    expect((await refusal(vetGitUrl("git://me@example.com/r", { allowedHosts: [] }))).message).toMatch(
      /credentials/,
    );
    expect((await refusal(vetGitUrl("file:///etc", { allowedHosts: [] }))).message).toMatch(/not supported/);
  });

  it("refuses a name when any of its addresses is private, naming both", async () => {
    const lookup = fakeLookup({ "evil.example": ["93.184.216.34", "10.0.0.5"] });
    const failure = await refusal(vetGitUrl("git://evil.example/r.git", { allowedHosts: [], lookup }));
    expect(failure.message).toMatch(PRIVATE);
    expect(failure.message).toContain("evil.example resolves to 10.0.0.5");
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["169.254.169.254", "cloud metadata"],
    ["::1", "loopback"],
    ["::ffff:10.1.1.1", "private"],
    ["fd00::1", "private"],
    ["100.64.0.9", "carrier-grade NAT"],
  ])("refuses a name resolving to %s", async (address, kind) => {
    const lookup = fakeLookup({ "rebind.example": [address] });
    const failure = await refusal(vetGitUrl("https://rebind.example/r.git", { allowedHosts: [], lookup }));
    expect(failure.message).toContain(kind);
  });

  it("says when a name does not resolve", async () => {
    const failure = await refusal(
      vetGitUrl("git://nowhere.example/r.git", { allowedHosts: [], lookup: noNetwork }),
    );
    expect(failure.message).toMatch(/could not resolve nowhere\.example/);
  });

  it("connects git:// to the vetted address (IPv4 first) so a second answer cannot differ", async () => {
    const lookup = fakeLookup({
      "git.example": ["2606:4700::1", "93.184.216.34"],
      "v6.example": ["2606:4700::1"],
    });
    const vetted = await vetGitUrl("git://git.example:9419/r.git", { allowedHosts: [], lookup });
    expect(vetted).toMatchObject({ url: "git://93.184.216.34:9419/r.git", pins: [], followRedirects: false });
    const six = await vetGitUrl("git://v6.example/r.git", { allowedHosts: [], lookup });
    expect(six.url).toBe("git://[2606:4700::1]/r.git");
  });

  it("gives git a public address literal spelled plainly, without resolving it", async () => {
    const lookup = fakeLookup({});
    const vetted = await vetGitUrl("git://0x08080808/r.git", { allowedHosts: [], lookup });
    expect(vetted.url).toBe("git://8.8.8.8/r.git");
    expect(lookup.asked).toEqual([]);
  });

  it("leaves allowed hosts alone", async () => {
    const allowedHosts = allowedGitHosts({ MIAOBU_GIT_ALLOWED_HOSTS: "127.0.0.1:9418,localhost" });
    expect(await vetGitUrl("git://127.0.0.1:9418/site.git", { allowedHosts, lookup: noNetwork })).toEqual({
      url: "git://127.0.0.1:9418/site.git",
      pins: [],
      followRedirects: false,
      gitConfig: [["http.followRedirects", "false"]],
    });
    const lookup = fakeLookup({ localhost: ["127.0.0.1"] });
    expect((await vetGitUrl("git://localhost/site.git", { allowedHosts, lookup })).url).toBe(
      "git://localhost/site.git",
    );
    expect(allowedGitHosts({})).toEqual([]);
    expect(() => allowedGitHosts({ MIAOBU_GIT_ALLOWED_HOSTS: "x:y" })).toThrow(/MIAOBU_GIT_ALLOWED_HOSTS/);
  });
});

describe("vetGitUrl over HTTP", () => {
  let server: Server | null = null;
  const requests: IncomingMessage[] = [];

  /** A git smart-HTTP stand-in on 127.0.0.1 answering discovery requests with `answer(path)`. */
  async function serve(answer: (path: string) => { status: number; location?: string }): Promise<number> {
    server = createServer((req, res) => {
      requests.push(req);
      const { status, location } = answer(req.url ?? "");
      res.writeHead(status, location ? { Location: location } : {});
      res.end(status === 200 ? "001e# service=git-upload-pack\n0000" : "");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  }

  afterEach(async () => {
    requests.length = 0;
    await stop();
  });

  async function stop(): Promise<void> {
    const running = server;
    server = null;
    if (running) await new Promise((resolve) => running.close(resolve));
  }

  it("pins a name to its vetted address for the discovery request and for git", async () => {
    const port = await serve(() => ({ status: 200 }));
    const lookup = fakeLookup({ "git.test": ["127.0.0.1"] });
    const vetted = await vetGitUrl(`http://git.test:${port}/repo.git`, {
      allowedHosts: `127.0.0.1:${port}`,
      lookup,
    });
    expect(vetted).toEqual({
      url: `http://git.test:${port}/repo.git`,
      pins: [`git.test:${port}:127.0.0.1`],
      followRedirects: false,
      gitConfig: [
        ["http.followRedirects", "false"],
        ["http.curloptResolve", `git.test:${port}:127.0.0.1`],
      ],
    });
    expect(requests[0]?.url).toBe(`/repo.git/${INFO_REFS}`);
    expect(requests[0]?.headers.host).toBe(`git.test:${port}`);
  });

  it.each([
    ["http://169.254.169.254/latest/", "cloud metadata"],
    ["http://10.0.0.1/r.git/", "10.0.0.1 is a private address"],
    ["http://[::1]:9/r.git/", "loopback"],
    ["http://0x7f000001:9/r.git/", "loopback"],
    ["http://internal.example/r.git/", "internal.example resolves to 192.168.1.1"],
  ])("refuses a redirect to %s", async (target, detail) => {
    const port = await serve(() => ({ status: 302, location: `${target}${INFO_REFS}` }));
    const lookup = fakeLookup({ "internal.example": ["192.168.1.1"] });
    const failure = await refusal(
      vetGitUrl(`http://127.0.0.1:${port}/r.git`, { allowedHosts: `127.0.0.1:${port}`, lookup }),
    );
    expect(failure.message).toContain(`http://127.0.0.1:${port}/r.git redirected to`);
    expect(failure.message).toMatch(PRIVATE);
    expect(failure.message).toContain(detail);
    expect(requests).toHaveLength(1);
  });

  it("follows a redirect to an allowed place and gives git the final URL", async () => {
    const port = await serve((path) =>
      path.startsWith("/old.git/") ? { status: 301, location: `/new.git/${INFO_REFS}` } : { status: 200 },
    );
    const vetted = await vetGitUrl(`http://127.0.0.1:${port}/old.git`, { allowedHosts: "127.0.0.1" });
    expect(vetted.url).toBe(`http://127.0.0.1:${port}/new.git/`);
    expect(requests.map((r) => r.url)).toEqual([`/old.git/${INFO_REFS}`, `/new.git/${INFO_REFS}`]);
  });

  it("refuses a redirect that is not to a git repository, and a redirect loop", async () => {
    let port = await serve(() => ({ status: 302, location: "/login" }));
    let failure = await refusal(vetGitUrl(`http://127.0.0.1:${port}/r.git`, { allowedHosts: "127.0.0.1" }));
    expect(failure.message).toMatch(/not a git repository URL/);
    await stop();
    port = await serve((path) => ({ status: 302, location: path }));
    failure = await refusal(vetGitUrl(`http://127.0.0.1:${port}/r.git`, { allowedHosts: "127.0.0.1" }));
    expect(failure.message).toMatch(/too many redirects/);
  });

  it("sends credentials only to the original origin and keeps them only there", async () => {
    const port = await serve((path) =>
      path.startsWith("/a.git/")
        ? { status: 302, location: `http://localhost:${port}/b.git/${INFO_REFS}` }
        : { status: 200 },
    );
    const lookup = fakeLookup({ localhost: ["127.0.0.1"] });
    const vetted = await vetGitUrl(`http://x-access-token:tok@127.0.0.1:${port}/a.git`, {
      allowedHosts: "127.0.0.1,localhost",
      lookup,
    });
    expect(requests[0]?.headers.authorization).toBe(`Basic ${btoa("x-access-token:tok")}`);
    expect(requests[1]?.headers.authorization).toBeUndefined();
    expect(vetted.url).toBe(`http://localhost:${port}/b.git/`);
    expect(vetted.pins).toEqual([`localhost:${port}:127.0.0.1`]);

    requests.length = 0;
    const same = await vetGitUrl(`http://x-access-token:tok@127.0.0.1:${port}/b.git`, {
      allowedHosts: "127.0.0.1",
    });
    expect(same.url).toBe(`http://x-access-token:tok@127.0.0.1:${port}/b.git`);
  });

  it("says when the host cannot be reached", async () => {
    const port = await serve(() => ({ status: 200 }));
    await stop();
    const failure = await refusal(vetGitUrl(`http://127.0.0.1:${port}/r.git`, { allowedHosts: "127.0.0.1" }));
    expect(failure.message).toMatch(/could not reach http:\/\/127\.0\.0\.1/);
  });
});
