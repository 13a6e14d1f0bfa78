// Hostile builds and the network (issue 13): build code keeps outbound internet (package registries) but
// reaches none of the host's services: not the API, router or builder on loopback, not a service listening
// on every address of the host, not slirp4netns' host-loopback address, not the metadata address.
import net from "node:net";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitServer } from "../../containers/builder/test/harness.ts";
import { loginAdmin, startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { buildOnce, createProject, deployedResult, type FinishedBuild } from "./hostile/builds.ts";
import { attackRepo, commitRepo } from "./hostile/repos.ts";

const asRoot = process.getuid?.() === 0;
let t: TestPlatform;
const git = new GitServer();
/** A service of the host on every address it has: any connection it accepts came from a build. */
const hostService = net.createServer((socket) => {
  accepted.push(`${socket.remoteAddress}:${socket.remotePort}`);
  socket.destroy();
});
const accepted: string[] = [];
let build: FinishedBuild;

const hasIpv6Loopback = Object.values(os.networkInterfaces()).some((addresses) =>
  addresses?.some((address) => address.internal && address.family === "IPv6"),
);

/** The host's own addresses other than loopback (a build must not reach the host through them either). */
function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((address) => address !== undefined && !address.internal && address.family === "IPv4")
    .map((address) => address?.address ?? "");
}

function listen(server: net.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

interface NetworkResult {
  connections: Record<string, string>;
  metadata: string;
  registry: string;
}

describe.skipIf(!asRoot)("hostile builds and the network (needs root, as CI and npm start)", () => {
  const targets: [string, string, number][] = [];

  beforeAll(async () => {
    await git.start();
    t = await startTestPlatform();
    await loginAdmin(t);
    // Dual-stack when the host has IPv6 loopback: one port on 127.0.0.1, ::1 and every host address.
    const port = await listen(hostService, hasIpv6Loopback ? "::" : "0.0.0.0");
    const builderPort = Number(new URL(t.platform.builderUrl).port);
    targets.push(
      ["the API on 127.0.0.1", "127.0.0.1", t.apiPort],
      ["the router on 127.0.0.1", "127.0.0.1", t.routerPort],
      ["the builder on 127.0.0.1", "127.0.0.1", builderPort],
      ["git daemon on 127.0.0.1", "127.0.0.1", git.port],
      ["a host service on 127.0.0.1", "127.0.0.1", port],
      ["a host service on localhost", "localhost", port],
      ["a host service on 0.0.0.0", "0.0.0.0", port],
      ["the API through slirp4netns' 10.0.2.2", "10.0.2.2", t.apiPort],
      ["the builder through slirp4netns' 10.0.2.2", "10.0.2.2", builderPort],
      ["a host service through slirp4netns' 10.0.2.2", "10.0.2.2", port],
      ...hostAddresses().map((address): [string, string, number] => [
        `a host service on ${address}`,
        address,
        port,
      ]),
      ...(hasIpv6Loopback ? [["a host service on [::1]", "::1", port] as [string, string, number]] : []),
    );
    await commitRepo(
      git,
      "hostile-network",
      attackRepo(
        "hostile-network",
        { targets },
        `function connect([label, host, port]) {
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const end = (how) => {
        socket.destroy();
        resolve([label, how]);
      };
      socket.setTimeout(3000, () => end("timeout"));
      socket.once("connect", () => end("connected"));
      socket.once("error", (error) => end(error.code || String(error)));
    });
  }
  result.connections = Object.fromEntries(await Promise.all(input.targets.map(connect)));
  const get = (url, ms) =>
    fetch(url, { signal: AbortSignal.timeout(ms) }).then(
      (res) => \`status \${res.status}\`,
      (error) => \`failed: \${(error.cause && error.cause.code) || error.name}\`,
    );
  result.metadata = await get("http://169.254.169.254/latest/meta-data/", 3000);
  // With the system's trust store too, as npm has it (some networks reach the internet through a TLS proxy).
  const system = attempt(() => fs.readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8"));
  const ca = [...require("node:tls").rootCertificates, ...(system.ok ? [system.value] : [])];
  result.registry = await new Promise((resolve) => {
    const req = require("node:https").get("https://registry.npmjs.org/is-number", { ca, timeout: 30000 }, (res) => {
      res.resume();
      resolve(\`status \${res.statusCode}\`);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => resolve(\`failed: \${error.code || error.message}\`));
  });
  console.log(JSON.stringify(result));`,
      ),
      "hostile: network",
    );
    await createProject(t, "hostile-network", git.url("hostile-network"));
    build = await buildOnce(t, "hostile-network");
  }, 300_000);

  afterAll(async () => {
    hostService.close();
    await t?.stop();
    git.stop();
  });

  it("a build cannot connect to the host's loopback services, its addresses or slirp4netns' host address", async () => {
    const result = await deployedResult<NetworkResult>(t, "hostile-network", build);
    const connected = Object.entries(result.connections)
      .filter(([, how]) => how === "connected")
      .map(([label]) => label);
    expect(connected, JSON.stringify(result.connections, null, 2)).toEqual([]);
    expect(accepted, "connections the host service accepted during the build").toEqual([]);
  });

  it("a build cannot reach the metadata address 169.254.169.254", async () => {
    const result = await deployedResult<NetworkResult>(t, "hostile-network", build);
    expect(result.metadata).toMatch(/^failed/);
  });

  it("a build still reaches the internet: the npm registry answers it", async () => {
    const result = await deployedResult<NetworkResult>(t, "hostile-network", build);
    expect(result.registry).toBe("status 200");
  });
});
